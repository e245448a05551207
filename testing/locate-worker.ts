/**
 * A thread that finds the spans of test files' places (places.ts) while `symbic test` builds
 * the projects: for each file, its locator on the same text, asked for each path; the answer is
 * six numbers a span (start, end, line, col, endLine, endCol), in the order of the paths.
 */
import { parentPort, workerData } from "node:worker_threads";
import { TomlLocator } from "../compiler/contracts/locator.js";
import { SPAN_FIELDS, type LocateAnswer, type LocateRequest } from "./places.js";

const port = parentPort;
if (!port) throw new Error("locate-worker.ts runs as a worker thread of `symbic test`");

// File after file, each answered as soon as it is done.
(workerData as LocateRequest[]).forEach(({ text, paths }, index) => {
  const locator = new TomlLocator(text);
  const spans = new Int32Array(paths.length * SPAN_FIELDS);
  paths.forEach((p, i) => {
    const s = locator.key(p);
    spans.set([s.start, s.end, s.line, s.col, s.endLine, s.endCol], i * SPAN_FIELDS);
  });
  port.postMessage({ index, spans } satisfies LocateAnswer, [spans.buffer]);
});
