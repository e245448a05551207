/**
 * Finding many short keywords in a file in one pass: an Aho–Corasick automaton over ASCII,
 * case-insensitive, as a dense transition table. The scanner's rules name lower-case anchors;
 * one pass over a file tells which lines hold which anchors, instead of one search per anchor
 * (about 60 passes). Characters outside ASCII break a keyword (they cannot be part of one).
 * An anchor written `\\bword` only counts where `word` starts a word (the character before it is
 * not a letter, digit or `_`): `\\bnc` finds `nc host 80` but not `function`.
 */
const ALPHABET = 128;

export class AnchorAutomaton {
  private readonly delta: Int32Array;
  /** For each state, the anchor ids that end there (directly or through its failure links). */
  private readonly outputs: (readonly number[] | undefined)[];

  /** Per anchor id: its length when it must start a word, else 0. */
  private readonly wordStart: Int32Array;

  constructor(readonly anchors: readonly string[]) {
    const goto: Map<number, number>[] = [new Map()];
    const out: number[][] = [[]];
    this.wordStart = new Int32Array(anchors.length);
    anchors.forEach((written, id) => {
      const anchor = written.startsWith("\\b") ? written.slice(2) : written;
      if (anchor !== written) this.wordStart[id] = anchor.length;
      if (!/^[\x20-\x7e]+$/.test(anchor) || anchor !== anchor.toLowerCase()) {
        throw new Error(`anchor ${JSON.stringify(anchor)} must be lower-case printable ASCII`);
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
    const delta = new Int32Array(n * ALPHABET);
    const fail = new Int32Array(n);
    // Breadth-first: each state's transitions are its own, else its failure state's.
    const queue: number[] = [];
    for (let c = 0; c < ALPHABET; c++) {
      const next = goto[0]!.get(c);
      delta[c] = next ?? 0;
      if (next !== undefined) queue.push(next);
    }
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q]!;
      out[s]!.push(...out[fail[s]!]!);
      for (let c = 0; c < ALPHABET; c++) {
        const next = goto[s]!.get(c);
        if (next === undefined) delta[s * ALPHABET + c] = delta[fail[s]! * ALPHABET + c]!;
        else {
          fail[next] = delta[fail[s]! * ALPHABET + c]!;
          delta[s * ALPHABET + c] = next;
          queue.push(next);
        }
      }
    }
    this.delta = delta;
    this.outputs = out.map((o) => (o.length ? [...new Set(o)] : undefined));
  }

  /** Calls `found(anchorId, line)` for each anchor occurrence (0-based line numbers). */
  scan(text: string, found: (anchorId: number, line: number) => void): void {
    const { delta, outputs, wordStart } = this;
    let s = 0;
    let line = 0;
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c === 10) line++;
      if (c >= ALPHABET) c = 0;
      else if (c >= 65 && c <= 90) c += 32;
      s = delta[s * ALPHABET + c]!;
      const o = outputs[s];
      if (o === undefined) continue;
      for (let k = 0; k < o.length; k++) {
        const id = o[k]!;
        const len = wordStart[id]!;
        if (len > 0 && i - len >= 0 && isWordChar(text.charCodeAt(i - len))) continue;
        found(id, line);
      }
    }
  }
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
