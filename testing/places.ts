/**
 * The places of a test file's cases, rows and runs: the span of each one's key or header, as the
 * file's locator gives it (compiler/contracts/locator.ts). Every result names its place, so a
 * file of thousands of rows needs thousands of spans, and finding them means parsing the whole
 * text with toml-eslint-parser — ~0.5–1 ms per KB, the largest cost of reading a big test file.
 *
 * A place's span is found when first read. `symbic test` also has the spans of its large files
 * found on a worker thread (locateInThread, locate-worker.ts) while the projects build and the
 * cases are resolved, and waits for them before deciding (settle). The worker runs the same locator on the same text, so
 * a span is the same wherever it was found; when the worker cannot start or fails, the spans are
 * found here.
 */
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import type { TomlLocator, TomlPath } from "../compiler/contracts/locator.js";
import type { Span } from "../grammar/span.js";
import { startWorker, workerFile } from "./threads.js";

/** A part of a test file with its place: `at(["args", "n"])` is the span of that value inside it. */
export interface Place {
  file: string;
  /** The TOML path of this part. */
  path: TomlPath;
  /** The span of the part's key or header. */
  readonly span: Span;
}

/**
 * Texts at least this long have their spans found on a worker thread: starting one costs about
 * what parsing ~50 KB does, and parsing a shorter text here keeps a small run simple.
 */
export const LOCATE_IN_THREAD_CHARS = 64 * 1024;

/** What the worker is given (workerData is an array of them, one a file). */
export interface LocateRequest {
  text: string;
  paths: TomlPath[];
}

/** What it answers for each: six numbers a span (SPAN_FIELDS), in the order of `paths`. */
export interface LocateAnswer {
  index: number;
  spans: Int32Array;
}
export const SPAN_FIELDS = 6;

class LazyPlace implements Place {
  constructor(
    private readonly places: Places,
    private readonly index: number,
    readonly file: string,
    readonly path: TomlPath,
  ) {}

  get span(): Span {
    return this.places.span(this.index);
  }
}

/** The places of one test file. */
export class Places {
  /** @internal (locateInThread) The paths of the places made so far, in order. */
  readonly paths: TomlPath[] = [];
  private readonly spans: Array<Span | undefined> = [];
  /** How many spans a worker answered (the tests check that it did). */
  answeredInThread = 0;

  constructor(
    private readonly file: string,
    /** @internal (locateInThread) */
    readonly locator: TomlLocator,
  ) {}

  /** The place at `path` (its span found when first read). */
  place(path: TomlPath): Place {
    return new LazyPlace(this, this.paths.push(path) - 1, this.file, path);
  }

  /** @internal (LazyPlace) */
  span(i: number): Span {
    return (this.spans[i] ??= this.locator.key(this.paths[i]!));
  }

  /** @internal (locateInThread) A worker's answer for the first paths. */
  take(m: unknown): void {
    if (!(m instanceof Int32Array)) return;
    const n = Math.min(this.paths.length, Math.floor(m.length / SPAN_FIELDS));
    this.answeredInThread = n;
    for (let i = 0; i < n; i++) {
      if (this.spans[i]) continue;
      const o = i * SPAN_FIELDS;
      this.spans[i] = {
        start: m[o]!,
        end: m[o + 1]!,
        line: m[o + 2]!,
        col: m[o + 3]!,
        endLine: m[o + 4]!,
        endCol: m[o + 5]!,
      };
    }
  }

  /** Every place's span found (those a worker did not answer, here). */
  findAll(): void {
    for (let i = 0; i < this.paths.length; i++) this.span(i);
  }
}

/** The spans being found on a worker thread: wait for them with settle, or stop the thread with close. */
export interface Locating {
  /** Every place's span found: the worker's answers awaited, what it did not answer found here. */
  settle(): Promise<void>;
  /** Stops the worker if it still runs (a run that ends before deciding). */
  close(): void;
}

/**
 * Starts finding the spans of every place of the large files among `files` on one worker thread,
 * file after file, when there is a core to spare; settle finds the rest here.
 */
export function locateInThread(files: readonly Places[]): Locating {
  const large = files.filter((p) => p.locator.text.length >= LOCATE_IN_THREAD_CHARS);
  const here: Locating = {
    settle: () => {
      for (const p of files) p.findAll();
      return Promise.resolve();
    },
    close: () => undefined,
  };
  const file = large.length > 0 && availableParallelism() > 1 ? workerFile("./locate-worker") : undefined;
  if (!file) return here;
  let worker: Worker;
  try {
    worker = startWorker(file, {
      workerData: large.map((p) => ({ text: p.locator.text, paths: p.paths })) satisfies LocateRequest[],
    });
  } catch {
    return here;
  }
  const answered = new Promise<void>((resolve) => {
    let left = large.length;
    worker.on("message", (m: LocateAnswer) => {
      large[m.index]?.take(m.spans);
      if (--left === 0) resolve();
    });
    // A worker that fails or stops without answering: settle finds the spans here.
    worker.once("error", () => resolve());
    worker.once("exit", () => resolve());
  });
  const close = () => void worker.terminate();
  return {
    settle: async () => {
      await answered;
      close();
      await here.settle();
    },
    close,
  };
}
