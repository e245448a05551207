/**
 * Seeded mutations of Symbiont sources for the fuzz test (mutation.test.ts). Mutation `i` of a
 * run is a pure function of (seed, i, inputs): any failure reproduces alone with
 * `FUZZ_SEED=s FUZZ_ONLY=i npm test -- fuzz`.
 *
 * A mutation starts from an example or corpus file — whole, or a window of one to three of its
 * top-level items (smaller inputs: more mutations per second, same code paths) — and applies one
 * edit (half of them) or two to four: deletions, duplications, junk tokens, splices from other files, truncation,
 * control and non-ASCII characters, long runs of one token, and invalid UTF-8 bytes.
 */
import { parseText } from "../../grammar/index.js";

export interface FuzzInput {
  name: string;
  text: string;
  /** Top-level item ranges [start, end) of the unmutated text. */
  items: Array<[number, number]>;
}

export interface Mutation {
  /** Which input it started from, and how (for the failure report). */
  origin: string;
  /** What was done, in order. */
  edits: string[];
  bytes: Uint8Array;
}

export function prepareInputs(files: ReadonlyArray<{ name: string; text: string }>): FuzzInput[] {
  return files.map((f) => ({
    name: f.name,
    text: f.text,
    items: parseText(f.text, f.name).program.items.map((i) => [i.span.start, i.span.end] as [number, number]),
  }));
}

/** mulberry32: small, fast, good enough to pick mutations. */
export function rng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of mutation `i` of a run: independent streams per mutation. */
function mutationSeed(seed: number, i: number): number {
  return Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);
}

const TOKENS = [
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  "<",
  ">",
  ",",
  ";",
  ":",
  ".",
  "=",
  "==",
  "=>",
  "->",
  "|",
  "||",
  "&&",
  "!",
  "+",
  "-",
  "*",
  "/",
  "%",
  "?",
  "agent",
  "policy",
  "type",
  "function",
  "metadata",
  "schedule",
  "channel",
  "memory",
  "webhook",
  "with",
  "let",
  "if",
  "else",
  "for",
  "in",
  "match",
  "try",
  "catch",
  "return",
  "not",
  "true",
  "false",
  "allow:",
  "deny:",
  "require:",
  "audit:",
  "capabilities",
  "sandbox",
  "timeout",
  "Tier1",
  "Tier2",
  "any",
  "_",
  "None",
  "Some",
  "Ok",
  "Err",
  "String",
  "int",
  "List<String>",
  "Map<String, int>",
  "Option<int>",
  "x",
  "self",
  "context",
  "user",
  '"s"',
  '"',
  '"\\',
  '""',
  "0",
  "1",
  "007",
  "1_000",
  "1.5",
  "9999999999999999999999",
  "30s",
  "100ms",
  "1.5h",
  "6months",
  "vault://a/b",
  "// c\n",
  "# c\n",
  "\n",
  "\r\n",
  "\r",
  "\t",
  " ",
];

const CHARACTERS = [
  "\u0000",
  "\u0007",
  "\u001b",
  "\u007f",
  "\u0085",
  "\u00a0",
  "\u2028",
  "\u202e",
  "\ufeff",
  "\ufffd",
  "é",
  "漢",
  "😀",
  "\\",
  "'",
  "`",
  "$",
  "@",
  "^",
  "~",
];

/** Byte sequences that are not UTF-8 (or are its edge cases). */
const BYTES = [
  [0xff],
  [0xc3],
  [0xc3, 0x28],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xef, 0xbb, 0xbf],
];

/** Long runs of one token: recovery and nesting at scale. */
const RUNS = ["}", "{", "(", ")", "[", "]", ";", ",", "let ", "if x ", "!", "-", "x.", "a + ", "agent "];

export function mutation(seed: number, i: number, inputs: readonly FuzzInput[]): Mutation {
  const r = rng(mutationSeed(seed, i));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (n: number) => Math.floor(r() * n);

  const base = inputs[int(inputs.length)]!;
  let text: string;
  let origin: string;
  if (base.items.length <= 1 || r() < 0.1) {
    text = base.text;
    origin = base.name;
  } else {
    const first = int(base.items.length);
    const last = Math.min(base.items.length - 1, first + (r() < 0.7 ? 0 : 1 + int(2)));
    text = base.text.slice(base.items[first]![0], base.items[last]![1]) + "\n";
    origin = `${base.name} items ${first + 1}-${last + 1}`;
  }

  const edits: string[] = [];
  const n = r() < 0.5 ? 1 : 2 + int(3);
  for (let k = 0; k < n; k++) {
    const at = int(text.length + 1);
    const len = 1 + int(40);
    switch (int(9)) {
      case 0:
        edits.push(`delete ${len} at ${at}`);
        text = text.slice(0, at) + text.slice(at + len);
        break;
      case 1:
        edits.push(`duplicate ${len} at ${at}`);
        text = text.slice(0, at) + text.slice(at, at + len) + text.slice(at);
        break;
      case 2:
      case 3: {
        const tok = pick(TOKENS);
        edits.push(`insert ${JSON.stringify(tok)} at ${at}`);
        text = text.slice(0, at) + (r() < 0.5 ? ` ${tok} ` : tok) + text.slice(at);
        break;
      }
      case 4: {
        const tok = pick(TOKENS);
        edits.push(`replace ${len} at ${at} by ${JSON.stringify(tok)}`);
        text = text.slice(0, at) + tok + text.slice(at + len);
        break;
      }
      case 5: {
        const other = pick(inputs).text;
        const from = int(other.length);
        const piece = other.slice(from, from + 1 + int(200));
        edits.push(`splice ${piece.length} chars at ${at}`);
        text = text.slice(0, at) + piece + text.slice(at);
        break;
      }
      case 6: {
        const ch = pick(CHARACTERS);
        edits.push(`insert U+${ch.codePointAt(0)!.toString(16)} at ${at}`);
        text = text.slice(0, at) + ch + text.slice(at);
        break;
      }
      case 7:
        edits.push(`truncate at ${at}`);
        text = text.slice(0, at);
        break;
      default: {
        const run = pick(RUNS);
        const count = 1 + int(r() < 0.05 ? 2000 : 100);
        edits.push(`insert ${count} × ${JSON.stringify(run)} at ${at}`);
        text = text.slice(0, at) + run.repeat(count) + text.slice(at);
        break;
      }
    }
  }
  let bytes: Uint8Array = Buffer.from(text, "utf8");
  if (r() < 0.03) {
    const at = int(bytes.length + 1);
    const bad = pick(BYTES);
    edits.push(`insert bytes ${bad.map((b) => b.toString(16)).join(" ")} at byte ${at}`);
    bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(bad), bytes.subarray(at)]);
  }
  return { origin, edits, bytes };
}
