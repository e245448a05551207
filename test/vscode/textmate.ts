/**
 * Loads grammar/symbiont.tmLanguage.json into vscode-textmate (with the oniguruma wasm regex
 * engine VS Code itself uses) and tokenizes whole documents, for the grammar tests.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
// Both packages are CommonJS; require() keeps their namespaces intact under tsx.
const tm = require("vscode-textmate") as typeof import("vscode-textmate");
const onig = require("vscode-oniguruma") as {
  loadWASM(data: ArrayBuffer): Promise<void>;
  OnigScanner: new (patterns: string[]) => unknown;
  OnigString: new (s: string) => unknown;
};

export const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const grammarPath = join(repoRoot, "grammar", "symbiont.tmLanguage.json");
export const SCOPE = "source.symbiont";

let onigLib: Promise<import("vscode-textmate").IOnigLib> | undefined;

/** The oniguruma library, loaded once per process. */
export function onigLibrary(): Promise<import("vscode-textmate").IOnigLib> {
  onigLib ??= (async () => {
    const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
    await onig.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    return {
      createOnigScanner: (patterns: string[]) => new onig.OnigScanner(patterns) as never,
      createOnigString: (s: string) => new onig.OnigString(s) as never,
    };
  })();
  return onigLib;
}

/** A registry that serves our grammar (re-read from disk, so edits are picked up). */
export function createRegistry(grammarFile = grammarPath): import("vscode-textmate").Registry {
  return new tm.Registry({
    onigLib: onigLibrary(),
    loadGrammar: async (scopeName: string) =>
      scopeName === SCOPE ? tm.parseRawGrammar(readFileSync(grammarFile, "utf8"), grammarFile) : null,
  });
}

export async function loadGrammar(): Promise<import("vscode-textmate").IGrammar> {
  const grammar = await createRegistry().loadGrammar(SCOPE);
  if (!grammar) throw new Error(`could not load ${SCOPE} from ${grammarPath}`);
  return grammar;
}

export interface Token {
  line: number; // 0-based
  start: number;
  end: number;
  text: string;
  scopes: string[];
}

export interface Tokenized {
  lines: string[];
  tokens: Token[][];
  /** Rule-stack depth after the last line: 1 means every begin/end region was closed. */
  finalDepth: number;
}

export function tokenize(grammar: import("vscode-textmate").IGrammar, text: string): Tokenized {
  const lines = text.split(/\r?\n/);
  let state = tm.INITIAL;
  const tokens: Token[][] = [];
  lines.forEach((line, n) => {
    const r = grammar.tokenizeLine(line, state);
    state = r.ruleStack;
    tokens.push(
      r.tokens.map((t) => ({
        line: n,
        start: t.startIndex,
        end: Math.min(t.endIndex, line.length),
        text: line.slice(t.startIndex, t.endIndex),
        scopes: t.scopes,
      })),
    );
  });
  return { lines, tokens, finalDepth: state.depth };
}

/** The scopes of the token covering column `col` of line `line`. */
export function scopesAt(doc: Tokenized, line: number, col: number): string[] {
  const t = doc.tokens[line]?.find((tok) => tok.start <= col && col < Math.max(tok.end, tok.start + 1));
  return t ? t.scopes : [];
}

export const hasScope = (scopes: string[], prefix: string): boolean =>
  scopes.some((s) => s === prefix || s.startsWith(prefix + "."));
