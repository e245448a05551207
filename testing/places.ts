/**
 * The places of a test file's cases, rows and runs: the span of each one's key or header, as the
 * file's locator gives it (formats/toml-locator.ts). Every result names its place, so a
 * file of thousands of rows needs thousands of spans. Each is found when first read: the locator
 * scans the text once, and an array's contents when a path into it is first asked (~5 ms for a
 * 340 KB file of 8,000 rows).
 */
import type { TomlLocator, TomlPath } from "../formats/toml-locator.js";
import type { Span } from "../grammar/span.js";

/** A part of a test file with its place: `at(["args", "n"])` is the span of that value inside it. */
export interface Place {
  file: string;
  /** The TOML path of this part. */
  path: TomlPath;
  /** The span of the part's key or header. */
  readonly span: Span;
}

/** A place whose span the file's locator finds when it is first read. */
export class LocatedPlace implements Place {
  private found: Span | undefined;

  constructor(
    private readonly locator: TomlLocator,
    readonly file: string,
    readonly path: TomlPath,
  ) {}

  get span(): Span {
    return (this.found ??= this.locator.key(this.path));
  }
}
