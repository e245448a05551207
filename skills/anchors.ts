/**
 * Finding many short keywords in a file in one pass: an Aho–Corasick automaton over ASCII,
 * case-insensitive, as a dense transition table. The scanner's rules name lower-case anchors;
 * one pass over a file tells which lines hold which anchors, instead of one search per anchor
 * (about 60 passes). Characters outside ASCII break a keyword (they cannot be part of one).
 * An anchor written `\\b` in front only counts where it starts a word (the character before it
 * is not a letter, digit or `_`): `\\bnc` finds `nc host 80` but not `function`.
 *
 * The automaton is a table, not a loop: the line planner (plan.ts) runs it inside its own pass
 * over the file, which also reads the file as the shell would (quotes skipped) and sets the
 * per-line flags — one pass instead of three.
 */
export const ANCHOR_ALPHABET = 128;
const MAX_ANCHOR_LENGTH = 63;
/** Characters an anchor may not hold: the planner skips them to read the file as the shell would. */
const QUOTE_CHARS = /["'\\]/;

export class AnchorAutomaton {
  /**
   * `delta[state * ANCHOR_ALPHABET + c]`: the next state after the ASCII code `c` (0 for
   * characters outside ASCII); upper-case letters move as their lower-case forms.
   */
  readonly delta: Int32Array;
  /** For each state, the anchor ids that end there (directly or through its failure links). */
  readonly outputs: (readonly number[] | undefined)[];
  /** For each state, 1 when `outputs` has anchors for it (a typed array: the hot loop's test). */
  readonly hasOutput: Uint8Array;
  /** Per anchor id: its length when it must start a word, else 0. */
  readonly wordStart: Int32Array;

  constructor(readonly anchors: readonly string[]) {
    const goto: Map<number, number>[] = [new Map()];
    const out: number[][] = [[]];
    this.wordStart = new Int32Array(anchors.length);
    anchors.forEach((written, id) => {
      const anchor = written.startsWith("\\b") ? written.slice(2) : written;
      if (anchor !== written) this.wordStart[id] = anchor.length;
      if (
        !/^[\x20-\x7e]+$/.test(anchor) ||
        anchor !== anchor.toLowerCase() ||
        QUOTE_CHARS.test(anchor) ||
        anchor.length > MAX_ANCHOR_LENGTH
      ) {
        throw new Error(
          `anchor ${JSON.stringify(anchor)} must be lower-case printable ASCII without quotes or backslashes, at most ${MAX_ANCHOR_LENGTH} characters`,
        );
      }
      let s = 0;
      for (const ch of anchor) {
        const c = ch.charCodeAt(0);
        let next = goto[s]!.get(c);
        if (next === undefined) {
          next = goto.length;
          goto.push(new Map());
          out.push([]);
          goto[s]!.set(c, next);
        }
        s = next;
      }
      out[s]!.push(id);
    });
    const n = goto.length;
    const delta = new Int32Array(n * ANCHOR_ALPHABET);
    const fail = new Int32Array(n);
    // Breadth-first: each state's transitions are its own, else its failure state's.
    const queue: number[] = [];
    for (let c = 0; c < ANCHOR_ALPHABET; c++) {
      const next = goto[0]!.get(c);
      delta[c] = next ?? 0;
      if (next !== undefined) queue.push(next);
    }
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q]!;
      out[s]!.push(...out[fail[s]!]!);
      for (let c = 0; c < ANCHOR_ALPHABET; c++) {
        const next = goto[s]!.get(c);
        if (next === undefined) delta[s * ANCHOR_ALPHABET + c] = delta[fail[s]! * ANCHOR_ALPHABET + c]!;
        else {
          fail[next] = delta[fail[s]! * ANCHOR_ALPHABET + c]!;
          delta[s * ANCHOR_ALPHABET + c] = next;
          queue.push(next);
        }
      }
    }
    // Case-insensitive: an upper-case letter moves like its lower-case form.
    for (let st = 0; st < n; st++)
      for (let c = 65; c <= 90; c++) delta[st * ANCHOR_ALPHABET + c] = delta[st * ANCHOR_ALPHABET + c + 32]!;
    this.delta = delta;
    this.outputs = out.map((o) => (o.length ? [...new Set(o)] : undefined));
    this.hasOutput = Uint8Array.from(this.outputs, (o) => (o ? 1 : 0));
  }
}

export function isAsciiWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
