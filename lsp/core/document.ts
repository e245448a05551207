/**
 * One version of one source file, analysed as far as the parser goes. Everything is computed
 * at most once per version (the parse eagerly, the token list and the index of identifiers on
 * first use), so several requests against the same version share the work.
 */
import type { IToken } from "chevrotain";
import { parseText, type ParseResult } from "../../grammar/index.js";
import { isSuperseded } from "../../grammar/incremental.js";
import type { Identifier, Node, Program } from "../../grammar/ast.js";
import { LineMap } from "../../grammar/span.js";
import { TokenIndex } from "./tokens.js";
import { nodePathAt, walk } from "../../grammar/visit.js";

/** A line that starts a top-level item. */
const ITEM_START = /(?:metadata|agent|policy|type|function|schedule|channel|memory|webhook)\b/y;

export class SourceDocument {
  private parsed: ParseResult | undefined;
  private map: LineMap | undefined;
  private scanned: TokenIndex | undefined;
  private local: { from: number; to: number; index: TokenIndex } | undefined;
  private parents: Map<Node, Node | undefined> | undefined;

  constructor(
    /** The document's URI; also the `file` of its diagnostics. */
    readonly uri: string,
    /** The editor's version for open documents; -1 for files read from disk. */
    readonly version: number,
    readonly text: string,
  ) {}

  /** The parse, done on first use (files read from disk may never need it). */
  get parse(): ParseResult {
    return (this.parsed ??= parseText(this.text, this.uri));
  }

  /**
   * Takes the checker's parse of this same text, so node-keyed checker results (types,
   * resolutions) apply to the nodes features look at. Derived caches are rebuilt on demand.
   */
  adopt(parse: ParseResult): void {
    if (this.parsed === parse || parse.text !== this.text) return;
    this.parsed = parse;
    this.parents = undefined;
  }

  /**
   * Whether `parse` is the parse this document's features look at (checker results keyed by its
   * nodes apply) and still describes this text: a newer version re-parsed from it incrementally
   * moved the nodes it shares with it (grammar/incremental.ts).
   */
  uses(parse: ParseResult | undefined): boolean {
    return parse !== undefined && this.parsed === parse && !isSuperseded(parse);
  }

  /** Lines of the text; the same line-break rules as the protocol (`\n`, `\r\n`, lone `\r`). */
  get lineMap(): LineMap {
    return (this.map ??= new LineMap(this.text));
  }

  /**
   * The tree features work on: the parse, the same the checker sees. The parser recovers from
   * half-typed text (grammar/parser.ts, "recovery while typing": an unclosed `{` ends where the
   * layout says, a broken statement ends at its line), so the outline, the scopes and completion
   * keep working while a block is being typed.
   */
  get program(): Program {
    return this.parse.program;
  }

  /** Tokens and comments of the whole text, in source order (the scanner the parser runs). */
  get tokenIndex(): TokenIndex {
    return (this.scanned ??= TokenIndex.of(this.text));
  }

  get tokens(): IToken[] {
    return this.tokenIndex.tokens;
  }

  get comments(): IToken[] {
    return this.tokenIndex.comments;
  }

  tokenIndexAfter(offset: number): number {
    return this.tokenIndex.indexAfter(offset);
  }

  tokenAt(offset: number): IToken | undefined {
    return this.tokenIndex.tokenAt(offset);
  }

  inCommentOrString(offset: number): "comment" | "string" | undefined {
    return this.tokenIndex.inCommentOrString(offset);
  }

  /**
   * The tokens of the top-level item around `offset`, from its first line to the end of the
   * cursor's line: what completion needs, without scanning a large file at every keystroke. An
   * item starts on a line beginning with a top-level keyword (the formatter's layout); without
   * one, the whole text up to the cursor's line.
   */
  localTokens(offset: number): TokenIndex {
    if (this.scanned) return this.scanned;
    const starts = this.lineMap.lineStarts;
    const line = this.lineMap.position(offset).line - 1;
    let from = 0;
    for (let l = line; l >= 0; l--) {
      ITEM_START.lastIndex = starts[l]!;
      if (ITEM_START.test(this.text)) {
        from = starts[l]!;
        break;
      }
    }
    const to = line + 1 < starts.length ? starts[line + 1]! : this.text.length;
    if (this.local && this.local.from === from && this.local.to === to) return this.local.index;
    const index = TokenIndex.of(this.text, from, to);
    this.local = { from, to, index };
    return index;
  }

  /** Innermost node at `offset` with its ancestors, outermost first. */
  pathAt(offset: number): Node[] {
    return nodePathAt(this.program, offset);
  }

  /** The identifier node at `offset`, if the cursor is on one. */
  identifierAt(offset: number): { id: Identifier; path: Node[] } | undefined {
    const path = this.pathAt(offset);
    const last = path[path.length - 1];
    if (last && last.kind === "Identifier") return { id: last, path };
    return undefined;
  }

  /** The parent of a node of this document's tree. */
  parentOf(node: Node): Node | undefined {
    if (!this.parents) {
      const map = new Map<Node, Node | undefined>();
      walk(this.program, (n, p) => void map.set(n, p));
      this.parents = map;
    }
    return this.parents.get(node);
  }
}

/** The one region where two texts differ: `a[start, oldEnd)` became `b[start, newEnd)`; undefined when equal. */
export function textDelta(a: string, b: string): { start: number; oldEnd: number; newEnd: number } | undefined {
  if (a === b) return undefined;
  const max = Math.min(a.length, b.length);
  let start = 0;
  while (start < max && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let oldEnd = a.length;
  let newEnd = b.length;
  while (oldEnd > start && newEnd > start && a.charCodeAt(oldEnd - 1) === b.charCodeAt(newEnd - 1)) {
    oldEnd--;
    newEnd--;
  }
  return { start, oldEnd, newEnd };
}
