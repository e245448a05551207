/**
 * A thread that finds the spans of a test file's places (places.ts) while `symbic test` builds
 * the project: the file's locator on the same text, asked for each path; the answer is six
 * numbers a span (start, end, line, col, endLine, endCol), in the order of the paths.
 */
import { parentPort, workerData } from "node:worker_threads";
import { TomlLocator } from "../compiler/contracts/locator.js";
import { SPAN_FIELDS, type LocateRequest } from "./places.js";

const port = parentPort;
if (!port) throw new Error("locate-worker.ts runs as a worker thread of `symbic test`");

const { text, paths } = workerData as LocateRequest;
const locator = new TomlLocator(text);
const out = new Int32Array(paths.length * SPAN_FIELDS);
paths.forEach((p, i) => {
  const s = locator.key(p);
  out.set([s.start, s.end, s.line, s.col, s.endLine, s.endCol], i * SPAN_FIELDS);
});
port.postMessage(out, [out.buffer]);
