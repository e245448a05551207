/**
 * Document symbols (the outline) and workspace symbols, straight from the AST. Recovered
 * `Error` nodes are skipped, so a half-typed file still has an outline of what parsed.
 */
import { SymbolKind, type DocumentSymbol, type SymbolInformation } from "vscode-languageserver";
import type * as A from "../../grammar/ast.js";
import { exprToString } from "../../grammar/print.js";
import type { SourceDocument } from "../core/document.js";
import { spanToRange } from "../core/positions.js";

const isNode = (n: unknown): n is A.Node =>
  !!n && typeof n === "object" && typeof (n as A.Node).kind === "string" && (n as A.Node).kind !== "Error";

function nameOf(id: A.Identifier | A.ErrorNode | undefined): string | undefined {
  return id && id.kind === "Identifier" && id.name ? id.name : undefined;
}

function sym(
  name: string,
  detail: string | undefined,
  kind: SymbolKind,
  node: A.Node,
  selection: A.Node | undefined,
  children: DocumentSymbol[] = [],
): DocumentSymbol {
  const range = spanToRange(node.span);
  let selectionRange = selection && isNode(selection) ? spanToRange(selection.span) : range;
  // The selection range must lie inside the range.
  if (selection && (selection.span.start < node.span.start || selection.span.end > node.span.end))
    selectionRange = range;
  const s: DocumentSymbol = { name: name || "?", kind, range, selectionRange, children };
  if (detail) s.detail = detail;
  return s;
}

function typeText(t: A.TypeRef | A.ErrorNode | undefined): string {
  if (!t || t.kind !== "TypeRef") return "?";
  const n = nameOf(t.name) ?? "?";
  return t.args.length ? `${n}<${t.args.map(typeText).join(", ")}>` : n;
}

function paramsText(params: A.Param[] | undefined): string {
  return `(${(params ?? [])
    .filter(isNode)
    .map((p) => `${nameOf(p.name) ?? "?"}: ${typeText(p.type)}`)
    .join(", ")})`;
}

function shortExpr(e: A.Expr | undefined): string {
  if (!e || !isNode(e)) return "…";
  let s: string;
  try {
    s = exprToString(e);
  } catch {
    s = "…";
  }
  s = s.replace(/\s+/g, " ");
  return s.length > 60 ? s.slice(0, 59) + "…" : s;
}

function properties(entries: A.Property[]): DocumentSymbol[] {
  return entries.filter(isNode).map((p) => sym(nameOf(p.key) ?? "?", undefined, SymbolKind.Property, p, p.key));
}

function policySymbol(p: A.PolicyDef): DocumentSymbol {
  const rules = (p.rules ?? []).filter(isNode).map((r) => {
    const label = `${r.verb}: ${shortExpr(r.action)}`;
    return sym(label, r.guard ? `if ${shortExpr(r.guard)}` : undefined, SymbolKind.Event, r, undefined);
  });
  return sym(nameOf(p.name) ?? "policy", "policy", SymbolKind.Namespace, p, p.name, rules);
}

function functionSymbol(f: A.FunctionDef): DocumentSymbol {
  return sym(
    nameOf(f.name) ?? "function",
    `${paramsText(f.params)}${f.returnType ? ` -> ${typeText(f.returnType)}` : ""}`,
    SymbolKind.Function,
    f,
    f.name,
  );
}

function withSymbol(w: A.WithBlock): DocumentSymbol {
  const attrs = (w.attributes ?? [])
    .filter(isNode)
    .map((a) => sym(nameOf(a.name) ?? "?", shortExpr(a.value as A.Expr), SymbolKind.Property, a, a.name));
  const detail = attrs.length ? attrs.map((a) => `${a.name} = ${a.detail}`).join(", ") : undefined;
  return sym(
    "with",
    detail && detail.length > 80 ? detail.slice(0, 79) + "…" : detail,
    SymbolKind.Object,
    w,
    undefined,
    attrs,
  );
}

function agentSymbol(a: A.AgentDef): DocumentSymbol {
  const children: DocumentSymbol[] = [];
  for (const m of (a.members ?? []).filter(isNode)) {
    if (m.kind === "Capabilities")
      children.push(sym("capabilities", shortExpr(m.list), SymbolKind.Array, m, undefined));
    else if (m.kind === "Policy") children.push(policySymbol(m));
    else if (m.kind === "Function") children.push(functionSymbol(m));
    else if (m.kind === "With") children.push(withSymbol(m));
  }
  const detail = `agent${a.params ? paramsText(a.params) : ""}${a.returnType ? ` -> ${typeText(a.returnType)}` : ""}`;
  return sym(nameOf(a.name) ?? "agent", detail, SymbolKind.Class, a, a.name, children);
}

function itemSymbol(item: A.Item): DocumentSymbol | undefined {
  switch (item.kind) {
    case "Metadata":
      return sym("metadata", undefined, SymbolKind.Module, item, undefined, properties(item.entries ?? []));
    case "Agent":
      return agentSymbol(item);
    case "Policy":
      return policySymbol(item);
    case "Function":
      return functionSymbol(item);
    case "TypeDef": {
      const def = item.definition;
      if (def && def.kind === "StructType") {
        const fields = (def.fields ?? [])
          .filter(isNode)
          .map((f) => sym(nameOf(f.name) ?? "?", typeText(f.type), SymbolKind.Field, f, f.name));
        return sym(nameOf(item.name) ?? "type", "type", SymbolKind.Struct, item, item.name, fields);
      }
      return sym(
        nameOf(item.name) ?? "type",
        def && def.kind === "TypeRef" ? `= ${typeText(def)}` : "type",
        SymbolKind.TypeParameter,
        item,
        item.name,
      );
    }
    case "Schedule":
      return sym(
        nameOf(item.name) ?? "schedule",
        "schedule",
        SymbolKind.Event,
        item,
        item.name,
        properties(item.entries ?? []),
      );
    case "Channel": {
      const children: DocumentSymbol[] = [];
      for (const m of (item.members ?? []).filter(isNode)) {
        if (m.kind === "Property") children.push(...properties([m]));
        else if (m.kind === "Policy") children.push(policySymbol(m));
        else if (m.kind === "DataClassification")
          children.push(sym("data_classification", undefined, SymbolKind.Object, m, undefined));
      }
      return sym(nameOf(item.name) ?? "channel", "channel", SymbolKind.Interface, item, item.name, children);
    }
    case "Memory":
    case "Webhook": {
      const children: DocumentSymbol[] = [];
      for (const m of (item.members ?? []).filter(isNode)) {
        if (m.kind === "Property") children.push(...properties([m]));
        else if (m.kind === "SubBlock")
          children.push(sym(m.keyword, undefined, SymbolKind.Object, m, undefined, properties(m.entries ?? [])));
      }
      return sym(
        nameOf(item.name) ?? item.kind.toLowerCase(),
        item.kind.toLowerCase(),
        item.kind === "Memory" ? SymbolKind.Variable : SymbolKind.Event,
        item,
        item.name,
        children,
      );
    }
    default:
      return undefined;
  }
}

export function documentSymbols(doc: SourceDocument): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const item of doc.program.items ?? []) {
    if (!isNode(item)) continue;
    const s = itemSymbol(item);
    if (s) out.push(s);
  }
  return out;
}

/**
 * Whether `query` matches `name` as a case-insensitive subsequence (`agg` finds `api_aggregator`),
 * the matching VS Code itself applies to workspace symbols.
 */
export function fuzzyMatches(query: string, name: string): boolean {
  if (!query) return true;
  const q = query.toLowerCase();
  const n = name.toLowerCase();
  let i = 0;
  for (let j = 0; j < n.length && i < q.length; j++) if (n[j] === q[i]) i++;
  return i === q.length;
}

/** Declarations worth finding by name across the workspace: items and what agents declare. */
export function workspaceSymbolsOf(doc: SourceDocument, query: string, clientUri: string): SymbolInformation[] {
  const out: SymbolInformation[] = [];
  const visit = (s: DocumentSymbol, container: string | undefined, depth: number) => {
    const searchable =
      s.kind !== SymbolKind.Property &&
      s.kind !== SymbolKind.Event &&
      s.kind !== SymbolKind.Object &&
      s.kind !== SymbolKind.Array;
    if (searchable && fuzzyMatches(query, s.name)) {
      const info: SymbolInformation = {
        name: s.name,
        kind: s.kind,
        location: { uri: clientUri, range: s.selectionRange },
      };
      if (container) info.containerName = container;
      out.push(info);
    }
    if (depth < 2) for (const c of s.children ?? []) visit(c, s.name, depth + 1);
  };
  for (const s of documentSymbols(doc)) visit(s, undefined, 0);
  return out;
}
