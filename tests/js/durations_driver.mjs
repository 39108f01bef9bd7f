// Runs static/js/board/format.js's durationIn (the duration a time sticky's text names) under Node on a
// JSON list of texts read from stdin, and prints the minutes (or null) of each as a JSON list. Used by
// tests/test_durations.py, which copies format.js next to this file.
import { readFileSync } from "node:fs";
import { durationIn } from "./format.js";

const texts = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(texts.map(durationIn)) + "\n");
