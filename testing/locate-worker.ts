/**
 * A thread that finds the spans of test files' places (places.ts) for `symbic test`: it is given
 * the texts of the large files and parses them at once, one a turn, while the main thread reads
 * their values; then, asked for the places of a file, it answers with the file's locator on the
 * same text, six numbers a span (start, end, line, col, endLine, endCol), in the order asked.
 */
import { parentPort, workerData } from "node:worker_threads";
import { TomlLocator } from "../compiler/contracts/locator.js";
import { SPAN_FIELDS, type LocateAnswer, type LocateQuestion, type LocateTexts } from "./places.js";

const port = parentPort;
if (!port) throw new Error("locate-worker.ts runs as a worker thread of `symbic test`");

const texts = workerData as LocateTexts;
const locators: Array<TomlLocator | undefined> = [];

function locatorOf(index: number): TomlLocator {
  let l = locators[index];
  if (!l) {
    l = locators[index] = new TomlLocator(texts[index]!);
    l.key([]); // parses the text now (a locator parses on its first question)
  }
  return l;
}

port.on("message", ({ index, paths }: LocateQuestion) => {
  const locator = locatorOf(index);
  const spans = new Int32Array(paths.length * SPAN_FIELDS);
  paths.forEach((p, i) => {
    const s = locator.key(p);
    spans.set([s.start, s.end, s.line, s.col, s.endLine, s.endCol], i * SPAN_FIELDS);
  });
  port.postMessage({ index, spans } satisfies LocateAnswer, [spans.buffer]);
});

// One text a turn, so that a question about a text already parsed is answered in between.
let next = 0;
const parseAhead = () => {
  if (next >= texts.length) return;
  locatorOf(next++);
  setImmediate(parseAhead);
};
parseAhead();
