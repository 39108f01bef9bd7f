// Small pure helpers: durations, initials, a stable colour per person.

const UNITS = [
  ["wk", 7 * 24 * 60],
  ["d", 24 * 60],
  ["h", 60],
  ["min", 1],
];

const ALIASES = {
  m: 1, min: 1, mins: 1, minute: 1, minutes: 1,
  h: 60, hr: 60, hrs: 60, hour: 60, hours: 60,
  d: 1440, day: 1440, days: 1440,
  w: 10080, wk: 10080, wks: 10080, week: 10080, weeks: 10080,
  mo: 43200, month: 43200, months: 43200,
  // German ("1,5 Tage", "anderthalb Wochen"): workshop/domain/durations.py's UNIT_MINUTES, alike
  minuten: 1, std: 60, stunde: 60, stunden: 60,
  tag: 1440, tage: 1440, tagen: 1440, woche: 10080, wochen: 10080,
  monat: 43200, monate: 43200, monaten: 43200,
};

// Numbers written as words before a unit ("half a day", "anderthalb Wochen", "a week"), rewritten to
// digits before reading: durations.py's WORD_NUMBERS, alike.
const WORD_NUMBERS = [
  [/\b(?:one and a half|anderthalb|eineinhalb)\s+/g, "1.5 "],
  [/\b(?:half(?: an?)?|(?:(?:a|ein|eine|einen) )?halbe[nrs]?)\s+/g, "0.5 "],
  [/\b(?:an?|one|ein|eine|einen)\s+(?=(?:day|week|hour|month|tag|woche|stunde|monat)\b)/g, "1 "],
];

function digits(text) {
  return WORD_NUMBERS.reduce((t, [re, d]) => t.replace(re, d), text);
}

/** "3d", "2w", "45m", "4h", "1.5 h", "1d 4h", "90" (minutes) -> minutes; null when not understood. */
export function parseDuration(input) {
  const text = digits(String(input ?? "").trim().toLowerCase()).replace(/,/g, ".");
  if (!text) return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(parseFloat(text));
  const re = /(\d+(?:\.\d+)?)\s*([a-z]+)/g;
  let total = 0, matched = "", m;
  while ((m = re.exec(text))) {
    const unit = ALIASES[m[2]];
    if (!unit) return null;
    total += parseFloat(m[1]) * unit;
    matched += m[0];
  }
  if (!matched || matched.replace(/\s/g, "") !== text.replace(/\s/g, "")) return null;
  return Math.round(total);
}

/** Minutes -> "45 min", "4 h", "3 d", "2 wk", "1.5 h". */
// A number and a unit inside a sentence ("Security review 2d", "waits 3 weeks", "1d 4h"): not inside a
// word or a version number ("v2d", "1.2.3d"), and the unit ends where a word would.
const UNIT_WORDS = Object.keys(ALIASES).sort((a, b) => b.length - a.length).join("|");
const PART_IN_TEXT = new RegExp(`(?<![\\w.,])(\\d+(?:[.,]\\d+)?)\\s*(${UNIT_WORDS})(?![\\w])`, "g");

/** The duration a time sticky's text names, in minutes: its first run of number+unit parts
 * ("Security review 2d" -> 2880, "1d 4h to merge" -> 1680); null when it names none. */
export function durationIn(text) {
  const t = digits(String(text ?? "").toLowerCase());
  let total = 0, end = -1, m;
  PART_IN_TEXT.lastIndex = 0;
  while ((m = PART_IN_TEXT.exec(t))) {
    if (end >= 0 && t.slice(end, m.index).trim() !== "") break;
    total += parseFloat(m[1].replace(",", ".")) * ALIASES[m[2]];
    end = m.index + m[0].length;
  }
  return end < 0 ? null : Math.round(total);
}

export function formatDuration(minutes) {
  // the unit people typed where it is whole ("10 d", not "1.4 wk" beside "5 d"), a half under 10 of the
  // largest unit ("1.5 d"), else one decimal under 10 of it: the workbook's format_duration, alike
  if (minutes == null || !Number.isFinite(minutes)) return "";
  if (minutes === 0) return "0 min";
  for (const [label, size] of UNITS.slice(0, -1)) {
    const v = minutes / size;
    if (v >= 1 && (Number.isInteger(v) || (v < 10 && Number.isInteger(v * 2)))) return `${v} ${label}`;
  }
  if (minutes < 60 || (Number.isInteger(minutes) && minutes < 120)) return `${minutes} min`;
  for (const [label, size] of UNITS) {
    if (minutes >= size) {
      const v = minutes / size;
      const rounded = v >= 10 ? Math.round(v) : Math.round(v * 10) / 10;
      return `${rounded} ${label}`;
    }
  }
  return `${minutes} min`;
}

export function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/).filter(Boolean);
  if (!parts.length) return "?";
  const first = [...parts[0]][0] || "?";
  const last = parts.length > 1 ? [...parts[parts.length - 1]][0] : ([...parts[0]][1] || "");
  return (first + last).toUpperCase();
}

// dark enough for white initials (4.5:1 or more, WCAG AA)
const PALETTE = ["#1d4ed8", "#be185d", "#047857", "#b45309", "#6d28d9", "#0e7490", "#b91c1c", "#4d7c0f",
  "#7e22ce", "#0f766e", "#c2410c", "#9d174d"];

export function personColour(id) {
  const n = Math.abs(Number(id) || String(id).split("").reduce((a, c) => a * 31 + c.charCodeAt(0), 7));
  return PALETTE[n % PALETTE.length];
}

export function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text != null) node.textContent = text;
  return node;
}

/** A sticky's dots in words (screen readers, tooltips, the list view). While votes are hidden
 * (blind voting) only my own dots are known: the words say so rather than show a count. */
export function dotsText(votes, mine, hidden) {
  const n = (k) => `${k} dot${k === 1 ? "" : "s"}`;
  if (hidden) return mine ? `${n(mine)} of yours (others' hidden until the vote ends)` : "";
  return votes ? `${n(votes)}${mine ? `, ${mine} yours` : ""}` : "";
}
