"""The app's ports: the board port the services define (workshop.services.boards), as bound to this
app by the realtime adapter. Web pages and CLI commands get it here and hand it to a use case."""
from __future__ import annotations

from flask import Flask, current_app

from .services.boards import NO_BOARDS, BoardPort


def bind_boards(app: Flask, port: BoardPort) -> None:
    app.extensions["boards"] = port


def get_boards(app: Flask | None = None) -> BoardPort:
    return (app or current_app).extensions.get("boards", NO_BOARDS)
