// A stand-in for the Socket.IO client: enough of `io()` for static/js/board/connection.js.
export const fakeSocket = {
  connected: false, active: true, handlers: {}, answer: null,
  on(event, fn) { (this.handlers[event] ||= []).push(fn); },
  connect() { this.connected = true; for (const fn of this.handlers.connect || []) fn(); },
  disconnect() { this.connected = false; this.active = false; this.disconnects = (this.disconnects || 0) + 1; },
  serverSends(event, msg) { for (const fn of this.handlers[event] || []) fn(msg); },
  timeout() {
    return { emit: (event, payload, cb) => {
      const ack = this.answer(event, payload);
      queueMicrotask(() => cb(null, ack));
    } };
  },
  volatile: { emit() {} },
};
export function io() { return fakeSocket; }
