/**
 * The places of a test file's cases, rows and runs: the span of each one's key or header, as the
 * file's locator gives it (compiler/contracts/locator.ts). Every result names its place, so a
 * file of thousands of rows needs thousands of spans, and finding them means parsing the whole
 * text with toml-eslint-parser — ~0.5–1 ms per KB, the largest cost of reading a big test file.
 *
 * A place's span is found when first read. `symbic test` also has the spans of its large files
 * found on a worker thread (Locating, locate-worker.ts) while it reads the files' values, builds
 * the projects and resolves the cases, and waits for them before deciding (settle). The worker
 * runs the same locator on the same text, so a span is the same wherever it was found; when the
 * worker cannot start or fails, the spans are found here.
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

/** The worker is given the large texts (workerData), then asked for each file's places. */
export type LocateTexts = string[];

export interface LocateQuestion {
  /** The text's index in LocateTexts. */
  index: number;
  paths: TomlPath[];
}

/** Its answer: six numbers a span (SPAN_FIELDS), in the order of the question's paths. */
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
  /** @internal (Locating) The paths of the places made so far, in order. */
  readonly paths: TomlPath[] = [];
  private readonly spans: Array<Span | undefined> = [];
  /** How many spans a worker answered (the tests check that it did). */
  answeredInThread = 0;

  constructor(
    private readonly file: string,
    private readonly locator: TomlLocator,
  ) {}

  /** The place at `path` (its span found when first read). */
  place(path: TomlPath): Place {
    return new LazyPlace(this, this.paths.push(path) - 1, this.file, path);
  }

  /** @internal (LazyPlace) */
  span(i: number): Span {
    return (this.spans[i] ??= this.locator.key(this.paths[i]!));
  }

  /** @internal (Locating) A worker's answer for the first paths. */
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

/**
 * The spans of a run's test files, found on a worker thread for the large files (when there is a
 * core to spare) and here for the rest. The thread is started with the texts as soon as they are
 * read, and parses them while this thread reads the files' values; it is then asked for the spans
 * of each file's places (ask), found while the projects build.
 */
export class Locating {
  private readonly worker: Worker | undefined;
  /** The worker's index of each text it was given, by the text's index. */
  private readonly inWorker = new Map<number, number>();
  private readonly asked: Places[] = [];
  private readonly answers: Array<Promise<void>> = [];
  private readonly pending = new Map<number, { places: Places; done: () => void }>();
  /** Settles when the worker fails or stops: what it did not answer is found here. */
  private readonly stopped: Promise<void> | undefined;

  constructor(texts: readonly string[]) {
    const large = texts.flatMap((t, i) => (t.length >= LOCATE_IN_THREAD_CHARS ? [i] : []));
    const file = large.length > 0 && availableParallelism() > 1 ? workerFile("./locate-worker") : undefined;
    if (!file) return;
    try {
      this.worker = startWorker(file, { workerData: large.map((i) => texts[i]!) satisfies LocateTexts });
    } catch {
      return;
    }
    large.forEach((t, w) => this.inWorker.set(t, w));
    this.worker.on("message", (m: LocateAnswer) => {
      const p = this.pending.get(m.index);
      if (!p) return;
      this.pending.delete(m.index);
      p.places.take(m.spans);
      p.done();
    });
    const worker = this.worker;
    this.stopped = new Promise<void>((resolve) => {
      worker.once("error", () => resolve());
      worker.once("exit", () => resolve());
    });
  }

  /** The places of text `index` (as given to the constructor), once its file is read. */
  ask(index: number, places: Places): void {
    this.asked.push(places);
    const w = this.inWorker.get(index);
    if (w === undefined || !this.worker) return;
    this.answers.push(new Promise<void>((done) => this.pending.set(w, { places, done })));
    try {
      this.worker.postMessage({ index: w, paths: places.paths } satisfies LocateQuestion);
    } catch {
      this.pending.get(w)?.done();
      this.pending.delete(w);
    }
  }

  /** Every asked place's span found: the worker's answers awaited, what it did not answer found here. */
  async settle(): Promise<void> {
    if (this.stopped) await Promise.race([Promise.all(this.answers), this.stopped]);
    this.close();
    for (const p of this.asked) p.findAll();
  }

  /** Stops the worker (a run that ends before deciding, or once it has answered). */
  close(): void {
    if (this.worker) void this.worker.terminate();
  }
}
