/**
 * Go to definition, find references, document highlight and rename, across the files of the
 * project. The checker's symbol table (every declaration and every reference, with stable symbol
 * ids, resolved by the checker's own scopes) answers them: there is no second resolver here, so
 * what the editor shows is what `symbic check` resolved. When the checker has no answer for a
 * file (it failed on the project) these requests answer null.
 */
import {
  DocumentHighlightKind,
  ResponseError,
  ErrorCodes,
  type DocumentHighlight,
  type Location,
  type Range,
  type WorkspaceEdit,
  type TextEdit,
} from "vscode-languageserver";
import type { Span } from "../../grammar/span.js";
import { KEYWORD_WORDS } from "../../grammar/tokens.js";
import type { Reference, SymbolInfo } from "../../compiler/check/symbols.js";
import type { SourceDocument } from "../core/document.js";
import { spanToRange } from "../core/positions.js";
import type { CheckView } from "../core/semantic.js";
import { pathToUri } from "../core/uri.js";

export interface NavigationInputs {
  doc: SourceDocument;
  offset: number;
  /** Every file of the project (the current one included). */
  allDocs: SourceDocument[];
  view: CheckView | undefined;
  viewIsCurrent: boolean;
  /** The URI to answer with for a canonical URI (the client's spelling). */
  clientUri: (uri: string) => string;
}

/** Symbol files are URIs for sources and paths for tool contracts. */
function fileUri(file: string, clientUri: (u: string) => string): string {
  return clientUri(/^[a-z][a-z0-9+.-]*:/i.test(file) && !/^[a-z]:[\\/]/i.test(file) ? file : pathToUri(file));
}

function location(file: string, span: Span, clientUri: (u: string) => string): Location {
  return { uri: fileUri(file, clientUri), range: spanToRange(span) };
}

/** The symbol under the cursor according to the checker. */
function checkedSymbol(inputs: NavigationInputs): { reference: Reference; symbol: SymbolInfo | undefined } | undefined {
  if (!inputs.view || !inputs.viewIsCurrent) return undefined;
  return inputs.view.symbols.at(inputs.doc.uri, inputs.offset);
}

export function definition(inputs: NavigationInputs): Location[] | null {
  const at = checkedSymbol(inputs);
  if (at) {
    const s = at.symbol;
    if (s?.file && s.span) return [location(s.file, s.span, inputs.clientUri)];
    return null; // built-ins have no source
  }
  return null;
}

export function references(inputs: NavigationInputs, includeDeclaration: boolean): Location[] | null {
  const at = checkedSymbol(inputs);
  if (at) {
    const refs = inputs.view!.symbols.referencesTo(at.reference.symbolId);
    return refs
      .filter((r) => includeDeclaration || !r.isDeclaration)
      .map((r) => location(r.file, r.span, inputs.clientUri));
  }
  return null;
}

/** Document highlight: the declaration and uses of the symbol under the cursor, in this file (writes marked). */
export function documentHighlights(inputs: NavigationInputs): DocumentHighlight[] | null {
  const at = checkedSymbol(inputs);
  if (!at) return null;
  return inputs
    .view!.symbols.referencesTo(at.reference.symbolId)
    .filter((r) => r.file === inputs.doc.uri)
    .map((r) => ({
      range: spanToRange(r.span),
      kind: r.isWrite || r.isDeclaration ? DocumentHighlightKind.Write : DocumentHighlightKind.Read,
    }));
}

const RESERVED = new Set<string>([...KEYWORD_WORDS, "String", "int", "float", "bool"]);
const NOT_RENAMEABLE: Record<string, string> = {
  builtin: "built-ins cannot be renamed",
  tool: "a tool is renamed in its contract (`[tool] name` in tools/<name>.clad.toml)",
  group: "action groups are declared by tool contracts",
  action: "built-in actions cannot be renamed",
  capability: "capabilities are strings of the agent's `capabilities` list",
};

/** Where the name under the cursor is, if it can be renamed (`prepareRename`). */
export function prepareRename(inputs: NavigationInputs): { range: Range; placeholder: string } | null {
  const at = checkedSymbol(inputs);
  if (at) {
    const s = at.symbol;
    const why = s ? NOT_RENAMEABLE[s.kind] : "this name is not declared in the project";
    if (why || !s?.file || !s.span)
      throw new ResponseError(ErrorCodes.InvalidRequest, `cannot rename: ${why ?? "no declaration in the project"}`);
    return { range: spanToRange(at.reference.span), placeholder: s.name };
  }
  return null;
}

export function rename(inputs: NavigationInputs, newName: string): WorkspaceEdit | null {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newName))
    throw new ResponseError(
      ErrorCodes.InvalidParams,
      `\`${newName}\` is not a valid name (letters, digits and _, not starting with a digit)`,
    );
  if (RESERVED.has(newName))
    throw new ResponseError(ErrorCodes.InvalidParams, `\`${newName}\` is a keyword or built-in type name`);
  const changes: Record<string, TextEdit[]> = {};
  const add = (uri: string, span: Span) => {
    (changes[uri] ??= []).push({ range: spanToRange(span), newText: newName });
  };
  const at = checkedSymbol(inputs);
  if (at) {
    prepareRename(inputs); // refuses built-ins and tools with a message
    for (const r of inputs.view!.symbols.referencesTo(at.reference.symbolId))
      add(fileUri(r.file, inputs.clientUri), r.span);
    return { changes };
  }
  return null;
}
