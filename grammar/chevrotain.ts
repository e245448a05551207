/**
 * Loads chevrotain's runtime values from its single-file build (`lib/chevrotain.min.mjs`, shipped
 * in the package) instead of its ES-module tree: the tree pulls in hundreds of lodash-es files and
 * took about a second to import, which every CLI start and every test run paid. The minified file
 * is the same code in 142 kB instead of 349: V8 reads it 1.5–5 ms faster. Types still come
 * from "chevrotain". Where the package folder is not on disk (a bundled language server), the
 * plain import is used — the bundler has already flattened it.
 */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as Chevrotain from "chevrotain";

async function load(): Promise<typeof Chevrotain> {
  try {
    const api = createRequire(import.meta.url).resolve("chevrotain");
    const bundled = join(dirname(api), "..", "chevrotain.min.mjs");
    if (existsSync(bundled)) return (await import(pathToFileURL(bundled).href)) as typeof Chevrotain;
  } catch {
    // fall through to the regular entry point
  }
  return await import("chevrotain");
}

const chevrotain = await load();

export const {
  createToken,
  Lexer,
  EmbeddedActionsParser,
  EOF,
  isRecognitionException,
  NoViableAltException,
  EarlyExitException,
  LLkLookaheadStrategy,
  getLookaheadPaths,
  // The grammar's production classes (the lookahead tests walk the recorded grammar).
  Alternation,
  Option,
  Repetition,
  RepetitionMandatory,
  RepetitionWithSeparator,
  RepetitionMandatoryWithSeparator,
} = chevrotain;
