/**
 * The places of a test file's cases, rows and runs: the span of each one's key or header, as the
 * file's locator gives it (compiler/contracts/locator.ts). Every result names its place, so a
 * file of thousands of rows needs thousands of spans, and finding them means parsing the whole
 * text with toml-eslint-parser — ~0.5–1 ms per KB, the largest cost of reading a big test file.
 *
 * A place's span is found when first read. `symbic test` also has a large file's spans found on a
 * worker thread (locate-worker.ts) while the project builds and the cases are resolved, and
 * waits for them before deciding (settle). The worker runs the same locator on the same text, so
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

/** What the worker is given (workerData) and answers: six numbers a span, in the order of `paths`. */
export interface LocateRequest {
  text: string;
  paths: TomlPath[];
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
  private readonly paths: TomlPath[] = [];
  private readonly spans: Array<Span | undefined> = [];
  private worker: Worker | undefined;
  private answer: Promise<void> | undefined;
  /** How many spans the worker answered (the tests check that it did). */
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

  /**
   * Starts finding the spans of every place on a worker thread, when the text is long enough and
   * there is a core to spare (else settle finds them here).
   */
  locateInThread(): void {
    if (this.worker || this.locator.text.length < LOCATE_IN_THREAD_CHARS || availableParallelism() < 2) return;
    const file = workerFile("./locate-worker");
    if (!file) return;
    let worker: Worker;
    try {
      worker = startWorker(file, {
        workerData: { text: this.locator.text, paths: this.paths } satisfies LocateRequest,
      });
    } catch {
      return;
    }
    this.worker = worker;
    this.answer = new Promise<void>((resolve) => {
      worker.once("message", (m: Int32Array) => {
        this.take(m);
        resolve();
      });
      // A worker that fails or stops without answering: settle finds the spans here.
      worker.once("error", () => resolve());
      worker.once("exit", () => resolve());
    });
  }

  private take(m: Int32Array): void {
    if (!(m instanceof Int32Array)) return;
    // The paths it was given: those of the places made before it started.
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

  /** Every place's span found: the worker's answer awaited, what it did not answer found here. */
  async settle(): Promise<void> {
    if (this.answer) await this.answer;
    this.close();
    for (let i = 0; i < this.paths.length; i++) this.span(i);
  }

  /** Stops the worker, if it still runs (a run that ends before deciding). */
  close(): void {
    if (this.worker) void this.worker.terminate();
    this.worker = undefined;
  }
}
