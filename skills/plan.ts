/**
 * The line planner: which rules can match which lines of a file, found in one pass over the
 * file instead of one test per rule per line. Most lines of a skill trigger no rule, and the
 * scanner looks closely only at the lines the plan names.
 *
 * One loop over the characters does three things at once:
 *   - it runs the rules' anchors (anchors.ts) over the file **as the shell reads it**: quotes and
 *     backslashes are skipped, so `c"ur"l` shows `curl`. Anchors hold no quote or backslash, so
 *     every anchor of the text as written is found too (a `\b` anchor where the character
 *     before it as written is not a word character). The candidates are a superset of both
 *     readings' — the prefilters then decide, per reading;
 *   - it marks lines holding a run that may be base64, and lines with characters outside ASCII
 *     (both need a closer look whatever the anchors say);
 *   - it notes which lines have quoting, the only lines whose shell reading differs.
 *
 * Then each candidate (rule, line) meets the rule's prefilters (its cheap necessary conditions)
 * on the line as written and, when the line has quoting, on the line as the shell reads it
 * (views.ts `dequoteText`). Custom rules have no anchors: they are candidates on every line.
 */
import { ANCHOR_ALPHABET, AnchorAutomaton, isAsciiWordChar } from "./anchors.js";
import { passesPrefilters } from "./rules.js";
import type { CompiledRule } from "./scanner.js";
import { dequoteText } from "./views.js";

export interface LinePlan {
  /** Per line: the rules whose prefilters (rules.ts `passesPrefilters`) pass the line as written (undefined: none). */
  rulesByLine: (CompiledRule[] | undefined)[];
  /** Per line: the rules whose prefilters pass the line as the shell reads it (quotes removed), where that differs. */
  dequotedRulesByLine: (CompiledRule[] | undefined)[];
  /** Per line: LINE_BASE64 (a token that may be base64) and LINE_NON_ASCII bits. */
  flags: Uint8Array;
  /** The lines with rules or flags, in order. */
  interesting: number[];
  /** The file holds a suppression comment (`skill-scan:`). */
  suppressions: boolean;
}

export const LINE_BASE64 = 1;
export const LINE_NON_ASCII = 2;
/** The line has a quote, a backslash or `$IFS`: its shell reading may differ (not part of "interesting"). */
const LINE_QUOTING = 4;

interface AnchorIndex {
  automaton: AnchorAutomaton;
  /** Per anchor id, the indexes (in the rule list) of the rules that name it. */
  rulesOf: number[][];
  /** Indexes of the rules with no anchors (custom rules): candidates on every line. */
  unanchored: number[];
}

const anchorIndexes = new WeakMap<readonly CompiledRule[], AnchorIndex>();

function anchorIndex(rules: readonly CompiledRule[]): AnchorIndex {
  let index = anchorIndexes.get(rules);
  if (!index) {
    const ids = new Map<string, number>();
    const rulesOf: number[][] = [];
    const unanchored: number[] = [];
    for (const [k, c] of rules.entries()) {
      if (!c.rule.prefilter || c.rule.anchors.length === 0) {
        unanchored.push(k);
        continue;
      }
      for (const a of c.rule.anchors) {
        let id = ids.get(a);
        if (id === undefined) {
          id = ids.size;
          ids.set(a, id);
          rulesOf.push([]);
        }
        rulesOf[id]!.push(k);
      }
    }
    index = { automaton: new AnchorAutomaton([...ids.keys()]), rulesOf, unanchored };
    anchorIndexes.set(rules, index);
  }
  return index;
}

/** Character classes of ASCII for the planner's loop: base64 kinds (bits), else one special kind. */
const BASE64_DIGIT = 1; // a digit, + / =
const BASE64_UPPER = 2;
const BASE64_LOWER = 4;
const BASE64_ALL = 7;
const QUOTE = 8; // " ' \
const NEWLINE = 16;
const DOLLAR = 32;
const NON_ASCII = 64;
const CHAR_CLASS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) CHAR_CLASS[c] = BASE64_DIGIT;
for (const c of "+/=") CHAR_CLASS[c.charCodeAt(0)] = BASE64_DIGIT;
for (let c = 65; c <= 90; c++) CHAR_CLASS[c] = BASE64_UPPER;
for (let c = 97; c <= 122; c++) CHAR_CLASS[c] = BASE64_LOWER;
for (const c of `"'\\`) CHAR_CLASS[c.charCodeAt(0)] = QUOTE;
CHAR_CLASS[10] = NEWLINE;
CHAR_CLASS[36] = DOLLAR;

/**
 * The one pass over the characters: sets `flags` per line and returns the anchor hits as
 * (anchor id, line) pairs. Its variables are all its own (no closure), so V8 keeps them in
 * registers.
 */
function scanCharacters(text: string, automaton: AnchorAutomaton, flags: Uint8Array): number[] {
  const { delta, outputs, hasOutput, wordStart } = automaton;
  const classes = CHAR_CLASS;
  const hits: number[] = [];
  let line = 0;
  let state = 0;
  // The current run of base64 characters: where it started and which kinds it holds.
  let runStart = -1;
  let runKinds = 0;
  const length = text.length;
  for (let i = 0; i <= length; i++) {
    const c = i < length ? text.charCodeAt(i) : 10;
    const kind = c < 128 ? classes[c]! : NON_ASCII;
    if ((kind & BASE64_ALL) !== 0) {
      if (runStart < 0) runStart = i;
      runKinds |= kind;
      // and on to the automaton
    } else {
      if (runStart >= 0) {
        if (i - runStart >= 8 && runKinds === BASE64_ALL) flags[line]! |= LINE_BASE64;
        runStart = -1;
        runKinds = 0;
      }
      if (kind !== 0) {
        if (kind === NON_ASCII) flags[line]! |= LINE_NON_ASCII;
        else if (kind === QUOTE) {
          // The shell reading skips quotes and backslashes.
          flags[line]! |= LINE_QUOTING;
          continue;
        } else if (kind === NEWLINE) {
          if (i === length) break;
          line++;
          state = 0;
          continue;
        } else if (text.startsWith("IFS", i + (text.charCodeAt(i + 1) === 123 ? 2 : 1))) {
          flags[line]! |= LINE_QUOTING; // `$IFS` reads as a space
        }
      }
    }
    state = delta[state * ANCHOR_ALPHABET + (c < 128 ? c : 0)]!;
    if (hasOutput[state] === 0) continue;
    const found = outputs[state]!;
    for (let h = 0; h < found.length; h++) {
      const id = found[h]!;
      const len = wordStart[id]!;
      if (len > 0 && !startsWord(text, i, len)) continue;
      hits.push(id, line);
    }
  }
  return hits;
}

/**
 * Whether the anchor of `len` characters (in the shell reading) that ends at `end` starts a
 * word: the character before its first one, as written, is not a word character. (In the shell
 * reading the character before differs only where the one as written is a quote or backslash,
 * which is not a word character either.) Walks back over skipped quotes: anchor hits are rare,
 * so the main loop stays lean.
 */
function startsWord(text: string, end: number, len: number): boolean {
  let first = end;
  for (let seen = 1; seen < len;) {
    const c = text.charCodeAt(--first);
    if (c !== 34 && c !== 39 && c !== 92) seen++;
  }
  return first === 0 || !isAsciiWordChar(text.charCodeAt(first - 1));
}

export function planLines(text: string, lines: readonly string[], rules: readonly CompiledRule[]): LinePlan {
  const { automaton, rulesOf, unanchored } = anchorIndex(rules);
  const lineCount = lines.length;
  const flags = new Uint8Array(lineCount);
  const rulesByLine: (CompiledRule[] | undefined)[] = new Array(lineCount);
  const dequotedRulesByLine: (CompiledRule[] | undefined)[] = new Array(lineCount);
  // The shell reading of a quoted line, computed once when a candidate needs it.
  const dequoted: (string | undefined)[] = new Array(lineCount);
  // triedOn[k]: the last line rule k was tried on (anchors of one rule often repeat on a line).
  const triedOn = new Int32Array(rules.length).fill(-1);

  const dequotedLine = (n: number): string => (dequoted[n] ??= dequoteText(lines[n]!));
  const candidate = (k: number, n: number): void => {
    const c = rules[k]!;
    const line = lines[n]!;
    if (passesPrefilters(c.rule, line)) (rulesByLine[n] ??= []).push(c);
    if ((flags[n]! & LINE_QUOTING) !== 0) {
      const dq = dequotedLine(n);
      if (dq !== line && passesPrefilters(c.rule, dq)) (dequotedRulesByLine[n] ??= []).push(c);
    }
  };

  const hits = scanCharacters(text, automaton, flags);
  for (let h = 0; h < hits.length; h += 2) {
    const n = hits[h + 1]!;
    for (const k of rulesOf[hits[h]!]!) {
      if (triedOn[k] === n) continue;
      triedOn[k] = n;
      candidate(k, n);
    }
  }

  if (unanchored.length > 0) for (let n = 0; n < lineCount; n++) for (const k of unanchored) candidate(k, n);

  const interesting: number[] = [];
  for (let n = 0; n < lineCount; n++) {
    if (rulesByLine[n] !== undefined || dequotedRulesByLine[n] !== undefined || (flags[n]! & ~LINE_QUOTING) !== 0)
      interesting.push(n);
  }
  return {
    rulesByLine,
    dequotedRulesByLine,
    flags,
    interesting,
    suppressions: text.includes("skill-scan:"),
  };
}
