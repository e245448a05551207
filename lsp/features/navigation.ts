/**
 * Go to definition, find references and rename, across the files of the project. The checker's
 * symbol table (every declaration and every reference, with stable symbol ids) answers them;
 * when the checker has no answer for a file (it failed, or has not run), the file's own lexical
 * scopes and the top-level declarations of the project are used instead.
 */
import {
  ResponseError,
  ErrorCodes,
  type Location,
  type Range,
  type WorkspaceEdit,
  type TextEdit,
} from "vscode-languageserver";
import type * as A from "../../grammar/ast.js";
import type { Span } from "../../grammar/span.js";
import { KEYWORD_WORDS } from "../../grammar/tokens.js";
import type { Reference, SymbolInfo } from "../../compiler/check/symbols.js";
import type { SourceDocument } from "../core/document.js";
import { spanToRange } from "../core/positions.js";
import type { CheckView } from "../core/semantic.js";
import type { Binding } from "../core/scope.js";
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

/** Without the checker: a local binding, or a top-level declaration of the project by name. */
function scopeBinding(
  inputs: NavigationInputs,
): { binding: Binding; doc: SourceDocument; id: A.Identifier } | undefined {
  const found = inputs.doc.identifierAt(inputs.offset);
  if (!found) return undefined;
  const { id } = found;
  const local = inputs.doc.scopes.references.get(id) ?? inputs.doc.scopes.declarations.get(id);
  if (local) return { binding: local, doc: inputs.doc, id };
  for (const d of inputs.allDocs) {
    const g = d.scopes.globals.find((b) => b.name === id.name);
    if (g) return { binding: g, doc: d, id };
  }
  return undefined;
}

/**
 * Uses of a binding found by the file's scopes alone: the declaration and the names resolved to
 * it in the same file. (Uses in other files need the checker's symbol table.)
 */
function scopeReferences(
  b: Binding,
  owner: SourceDocument,
): Array<{ doc: SourceDocument; span: Span; isDeclaration: boolean }> {
  const out = [{ doc: owner, span: b.decl.span, isDeclaration: true }];
  for (const [id, target] of owner.scopes.references)
    if (target === b && id !== b.decl) out.push({ doc: owner, span: id.span, isDeclaration: false });
  return out.sort((x, y) => x.span.start - y.span.start);
}

export function definition(inputs: NavigationInputs): Location[] | null {
  const at = checkedSymbol(inputs);
  if (at) {
    const s = at.symbol;
    if (s?.file && s.span) return [location(s.file, s.span, inputs.clientUri)];
    return null; // built-ins have no source
  }
  const b = scopeBinding(inputs);
  if (!b) return null;
  return [location(b.doc.uri, b.binding.decl.span, inputs.clientUri)];
}

export function references(inputs: NavigationInputs, includeDeclaration: boolean): Location[] | null {
  const at = checkedSymbol(inputs);
  if (at) {
    const refs = inputs.view!.symbols.referencesTo(at.reference.symbolId);
    return refs
      .filter((r) => includeDeclaration || !r.isDeclaration)
      .map((r) => location(r.file, r.span, inputs.clientUri));
  }
  const b = scopeBinding(inputs);
  if (!b) return null;
  return scopeReferences(b.binding, b.doc)
    .filter((r) => includeDeclaration || !r.isDeclaration)
    .map((r) => location(r.doc.uri, r.span, inputs.clientUri));
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
  const b = scopeBinding(inputs);
  if (!b) return null;
  return { range: spanToRange(b.id.span), placeholder: b.binding.name };
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
  const b = scopeBinding(inputs);
  if (!b) return null;
  for (const r of scopeReferences(b.binding, b.doc)) add(inputs.clientUri(r.doc.uri), r.span);
  return { changes };
}
