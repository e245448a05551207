/**
 * Token lookups over a scanned text (or a slice of one): the token at a cursor, the first token
 * after an offset, whether the cursor is in a comment or a string. Offsets are absolute even
 * for a slice, so callers never care which one they got.
 */
import type { IToken } from "chevrotain";
import { scan } from "../../grammar/scanner.js";

export class TokenIndex {
  constructor(
    readonly tokens: IToken[],
    readonly comments: IToken[],
  ) {}

  /** Scans `text.slice(from, to)`; token offsets are shifted to be offsets of `text`. */
  static of(text: string, from = 0, to = text.length): TokenIndex {
    const r = scan(from === 0 && to === text.length ? text : text.slice(from, to));
    if (from === 0) return new TokenIndex(r.tokens, r.comments);
    const shift = (t: IToken): IToken => ({ ...t, startOffset: t.startOffset + from, endOffset: t.endOffset! + from });
    return new TokenIndex(r.tokens.map(shift), r.comments.map(shift));
  }

  /** Index of the first token that ends after `offset` (binary search). */
  indexAfter(offset: number): number {
    const toks = this.tokens;
    let lo = 0;
    let hi = toks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (toks[mid]!.endOffset! + 1 <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The token containing `offset` or ending exactly at it (a cursor right after a word is on that word). */
  tokenAt(offset: number): IToken | undefined {
    const toks = this.tokens;
    const i = this.indexAfter(offset - 1);
    const t = toks[i];
    if (t && t.startOffset <= offset && offset <= t.endOffset! + 1) {
      // Prefer a word starting at the offset over a punctuation token ending there.
      const next = toks[i + 1];
      if (t.endOffset! + 1 === offset && next && next.startOffset === offset && /^\w/.test(next.image)) return next;
      return t;
    }
    return undefined;
  }

  /** Whether `offset` is inside a comment (after its marker) or a string literal (after its opening quote). */
  inCommentOrString(offset: number): "comment" | "string" | undefined {
    const cs = this.comments;
    let lo = 0;
    let hi = cs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cs[mid]!.endOffset! + 1 < offset) lo = mid + 1;
      else hi = mid;
    }
    const c = cs[lo];
    if (c && c.startOffset < offset && offset <= c.endOffset! + 1) return "comment";
    const t = this.tokenAt(offset);
    if (t && t.image.startsWith('"') && t.startOffset < offset) {
      const closed = t.image.length >= 2 && t.image.endsWith('"') && !t.image.endsWith('\\"');
      if (!closed || offset <= t.endOffset!) return "string";
    }
    return undefined;
  }
}
