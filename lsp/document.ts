/**
 * One version of one source file, analysed as far as the parser goes. Everything is computed
 * at most once per version (the parse eagerly, the token list and the index of identifiers on
 * first use), so several requests against the same version share the work.
 */
import type { IToken } from "chevrotain";
import { parseText, type ParseResult } from "../grammar/index.js";
import type { Identifier, Node, Program } from "../grammar/ast.js";
import { LineMap } from "../grammar/span.js";
import { scan, type ScanResult } from "../grammar/scanner.js";
import { nodePathAt, walk } from "../grammar/visit.js";
import { buildScopes, type FileScopes } from "./scope.js";
import { repairedProgram } from "./repair.js";

export class SourceDocument {
  private parsed: ParseResult | undefined;
  private map: LineMap | undefined;
  private scanned: ScanResult | undefined;
  private parents: Map<Node, Node | undefined> | undefined;
  private fileScopes: FileScopes | undefined;
  /** The parse of the text completed with its missing closing brackets; null when not needed. */
  private repaired: Program | null | undefined;

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
    this.fileScopes = undefined;
  }

  /** Whether `parse` is the parse this document's features look at (checker results keyed by its nodes apply). */
  uses(parse: ParseResult | undefined): boolean {
    return parse !== undefined && this.parsed === parse && this.program === parse.program;
  }

  /** Lines of the text; the same line-break rules as the protocol (`\n`, `\r\n`, lone `\r`). */
  get lineMap(): LineMap {
    return (this.map ??= new LineMap(this.text));
  }

  /**
   * The tree features work on: the parse, or — when the text has errors and unbalanced
   * brackets, which make the parser give up on the whole file — the tree of the text completed
   * with its missing closers (repair.ts), so the outline, scopes and completion keep working
   * while a block is being typed. Diagnostics always come from the real parse.
   */
  get program(): Program {
    if (this.repaired === undefined) this.repaired = this.repair();
    return this.repaired ?? this.parse.program;
  }

  private repair(): Program | null {
    if (!this.parse.diagnostics.some((d) => d.severity === "error")) return null;
    const firstError = Math.min(...this.parse.diagnostics.filter((d) => d.severity === "error").map((d) => d.span.start));
    const repaired = repairedProgram(this.text, this.uri, this.tokens, this.lineMap, firstError);
    if (!repaired || repaired.items.length <= this.parse.program.items.length) return null;
    return repaired;
  }

  /** Tokens and comments in source order (the same scanner the parser runs). */
  get tokens(): IToken[] {
    return (this.scanned ??= scan(this.text)).tokens;
  }

  get comments(): IToken[] {
    return (this.scanned ??= scan(this.text)).comments;
  }

  /** Index of the first token that ends after `offset` (binary search). */
  tokenIndexAfter(offset: number): number {
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
    const i = this.tokenIndexAfter(offset - 1);
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
    for (const c of this.comments) {
      if (c.startOffset < offset && offset <= c.endOffset! + 1) return "comment";
      if (c.startOffset >= offset) break;
    }
    const t = this.tokenAt(offset);
    if (t && t.image.startsWith('"') && t.startOffset < offset) {
      const closed = t.image.length >= 2 && t.image.endsWith('"') && !t.image.endsWith('\\"');
      if (!closed || offset <= t.endOffset!) return "string";
    }
    return undefined;
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

  /** Lexical scopes of the file (scope.ts). */
  get scopes(): FileScopes {
    return (this.fileScopes ??= buildScopes(this.program));
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
