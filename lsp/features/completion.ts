/**
 * Completion: keywords by context, names in scope, record members, tools, stdlib built-ins,
 * `with` attribute names and values, declarative keys — driven by the token-level context of
 * completion-context.ts (robust on half-typed code), the checker's view of the project (its
 * scopes: the locals visible at the cursor; its environment: agents, functions, types, memory
 * stores, tools, groups; the types of receivers) and the stdlib table.
 */
import {
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  type CompletionItem,
  type CompletionList,
} from "vscode-languageserver";
import type * as A from "../../grammar/ast.js";
import {
  BUILTIN_ACTIONS,
  BUILTIN_FUNCTIONS,
  BUILTIN_GROUPS,
  BUILTIN_TYPES,
  BUILTIN_VALUES,
  builtinFields,
  builtinMethods,
} from "../../stdlib/index.js";
import { recordFields, typeToString, type Type } from "../../compiler/check/types.js";
import { receiverName } from "../../compiler/check/stdlib-types.js";
import { TRUSTED_RECORD_TYPES, isTrustedRecord } from "../../stdlib/trusted-records.js";
import type { SourceDocument } from "../core/document.js";
import { completionSite, type CompletionContext, type CompletionSite } from "../core/completion-context.js";
import {
  AGENT_ITEM_SNIPPETS,
  DECL_KEYS,
  KEYWORD_DOCS,
  POLICY_VERBS,
  STATEMENT_SNIPPETS,
  TOP_LEVEL_SNIPPETS,
  ALL_WITH_ATTRIBUTES,
  WITH_ATTRIBUTE_BY_NAME,
  attributeValues,
  settingKindText,
} from "../core/knowledge.js";
import { functionSignature, methodSignature } from "../core/stdlib-docs.js";
import { offsetRange } from "../core/positions.js";
import type { CheckView } from "../core/semantic.js";
import {
  AUDIT_PATTERNS,
  AUDIT_SETTINGS,
  REQUIRE_PATTERNS,
  REQUIRE_SETTINGS,
  type SettingSpec,
} from "../../compiler/check/index.js";
import type { SymbolInfo } from "../../compiler/check/symbols.js";

export interface CompletionOptions {
  snippets: boolean;
}

/** Everything completion may draw on besides the document itself. */
export interface CompletionInputs {
  doc: SourceDocument;
  offset: number;
  /** The other files of the project (their top-level declarations are in scope). */
  otherDocs: SourceDocument[];
  view: CheckView | undefined;
  /** The checker's view was computed for exactly the text of the semantic document (so its types match that AST). */
  viewIsCurrent: boolean;
  options: CompletionOptions;
  /**
   * Where names, scopes and types are looked up: by default the document itself; while an edit
   * is waiting for analysis, its last analysed version, with offsets mapped through the edit
   * (typing does not wait for a re-check of the whole file).
   */
  semantic?: { doc: SourceDocument; offset: (offset: number) => number };
}

/** The document scopes and types come from, and an offset of the current text mapped into it. */
function sem(inputs: CompletionInputs): { doc: SourceDocument; at: (offset: number) => number } {
  return inputs.semantic ? { doc: inputs.semantic.doc, at: inputs.semantic.offset } : { doc: inputs.doc, at: (o) => o };
}

const SORT = { local: "0", member: "0", global: "1", tool: "1", stdlib: "2", keyword: "3" } as const;

const md = (value: string) => ({ kind: MarkupKind.Markdown, value });

function keywordItem(
  label: string,
  snippet: string | undefined,
  o: CompletionOptions,
  sort: string = SORT.keyword,
): CompletionItem {
  const item: CompletionItem = { label, kind: CompletionItemKind.Keyword, sortText: sort + label };
  // Without snippet support a template would be inserted with its placeholders as literal text
  // (`let name = ;`): such clients get the keyword alone.
  if (snippet && o.snippets) {
    item.insertText = snippet;
    item.insertTextFormat = InsertTextFormat.Snippet;
  }
  if (KEYWORD_DOCS[label]) item.documentation = md(KEYWORD_DOCS[label]!);
  return item;
}

const SYMBOL_ITEM_KIND: Partial<Record<SymbolInfo["kind"], CompletionItemKind>> = {
  agent: CompletionItemKind.Class,
  function: CompletionItemKind.Function,
  type: CompletionItemKind.Struct,
  memory: CompletionItemKind.Constant,
};

function symbolItem(s: SymbolInfo): CompletionItem {
  const local = s.kind === "param" || s.kind === "variable" || s.kind === "binder";
  const item: CompletionItem = {
    label: s.name,
    kind: SYMBOL_ITEM_KIND[s.kind] ?? CompletionItemKind.Variable,
    sortText: (local ? SORT.local : SORT.global) + s.name,
  };
  if (s.type) item.detail = typeToString(s.type);
  else if (s.kind !== "variable") item.detail = s.kind;
  return item;
}

function stdlibFunctionItems(prefixIsCall: boolean): CompletionItem[] {
  const out: CompletionItem[] = [];
  for (const d of BUILTIN_FUNCTIONS.values()) {
    const sig = functionSignature(d);
    out.push({
      label: d.name,
      kind: CompletionItemKind.Function,
      detail: sig.label,
      documentation: md(d.doc),
      sortText: SORT.stdlib + d.name,
      ...(prefixIsCall ? {} : {}),
    });
  }
  for (const v of BUILTIN_VALUES.values())
    out.push({
      label: v.name,
      kind: CompletionItemKind.Constant,
      detail: v.type,
      documentation: md(v.doc),
      sortText: SORT.stdlib + v.name,
    });
  return out;
}

function toolItems(view: CheckView | undefined): CompletionItem[] {
  if (!view) return [];
  return [...view.env.tools.values()].map((t) => ({
    label: t.contract.name,
    kind: CompletionItemKind.Function,
    detail: `tool ${t.contract.name}(${t.args.map((a) => `${a.name}${a.required ? "" : "?"}: ${a.type}`).join(", ")})`,
    documentation: md(
      `${t.contract.description}\n\nRisk tier: \`${t.contract.riskTier}\`${t.contract.humanApproval ? " · needs human approval" : ""}`,
    ),
    sortText: SORT.tool + t.contract.name,
  }));
}

/**
 * Agents, functions (the enclosing agent's own first), types and memory stores of the whole
 * project, from the checker's environment.
 */
function projectGlobals(inputs: CompletionInputs, kinds?: ReadonlySet<SymbolInfo["kind"]>): SymbolInfo[] {
  const view = inputs.view;
  if (!view) return [];
  const { doc, at } = sem(inputs);
  const env = view.env;
  const agent = doc.pathAt(at(inputs.offset)).find((n): n is A.AgentDef => n.kind === "Agent");
  const ids = [
    ...[...(env.agentFunctions.get(agent?.name?.name ?? "")?.values() ?? [])].map((f) => f.symbolId),
    ...[...env.functions.values()].map((f) => f.symbolId),
    ...[...env.agents.values()].map((a) => a.symbolId),
    ...[...env.typeDecls.keys()].map((t) => `type:${t}`),
    ...[...env.memories.keys()].map((m) => `memory:${m}`),
  ];
  const out: SymbolInfo[] = [];
  for (const id of ids) {
    const s = view.symbols.get(id);
    if (s && (!kinds || kinds.has(s.kind))) out.push(s);
  }
  return out;
}

/** The locals visible at the cursor, from the checker's scopes (of the analysed version of the text). */
function visibleLocals(inputs: CompletionInputs, offset = inputs.offset): SymbolInfo[] {
  if (!inputs.view || !inputs.viewIsCurrent) return [];
  const { doc, at } = sem(inputs);
  return inputs.view.visibleLocals(doc.uri, at(offset));
}

function expressionItems(inputs: CompletionInputs, policyGuard: boolean): CompletionItem[] {
  const { view } = inputs;
  const items: CompletionItem[] = [];
  const seen = new Set<string>();
  const add = (item: CompletionItem) => {
    if (seen.has(item.label)) return;
    seen.add(item.label);
    items.push(item);
  };
  for (const s of visibleLocals(inputs)) add(symbolItem(s));
  for (const s of projectGlobals(inputs)) add(symbolItem(s));
  // Trusted records are readable in guards and agent code alike.
  for (const [name, type] of Object.entries(TRUSTED_RECORD_TYPES))
    add({
      label: name,
      kind: CompletionItemKind.Variable,
      detail: type,
      documentation: md(BUILTIN_TYPES.get(type)?.doc ?? ""),
      sortText: SORT.global + name,
    });
  if (!policyGuard) for (const t of toolItems(view)) add(t);
  for (const s of stdlibFunctionItems(false)) add(s);
  for (const k of ["true", "false", "not", "if"]) add(keywordItem(k, undefined, inputs.options));
  return items;
}

function policyActionItems(
  inputs: CompletionInputs,
  ctx: Extract<CompletionContext, { kind: "policyAction" }>,
  site: CompletionSite,
): CompletionItem[] {
  const { view } = inputs;
  const { doc, at } = sem(inputs);
  const offset = at(inputs.offset);
  if (ctx.verb === "require" || ctx.verb === "audit") {
    const items = expressionItems(inputs, true);
    items.unshift({
      label: "{ … }",
      kind: CompletionItemKind.Snippet,
      insertText: inputs.options.snippets ? "{ $0 }" : "{  }",
      insertTextFormat: inputs.options.snippets ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
      filterText: "{",
      sortText: "0",
      detail: ctx.verb === "audit" ? "audit settings" : "required settings",
    });
    return items;
  }
  const items: CompletionItem[] = [];
  const add = (label: string, kind: CompletionItemKind, detail: string, doc?: string, binders?: string[]) => {
    const item: CompletionItem = { label, kind, detail, sortText: SORT.global + label };
    if (doc) item.documentation = md(doc);
    if (ctx.inString && site.stringToken) {
      item.textEdit = {
        range: offsetRange(inputs.doc.lineMap, site.stringToken.start, site.stringToken.end),
        newText: JSON.stringify(label),
      };
      item.filterText = JSON.stringify(label);
    } else if (binders && binders.length && inputs.options.snippets) {
      item.insertText = `${label}(${binders.map((b, i) => `\${${i + 1}:${b}}`).join(", ")})`;
      item.insertTextFormat = InsertTextFormat.Snippet;
    }
    items.push(item);
  };
  for (const t of view?.env.tools.values() ?? [])
    add(
      t.contract.name,
      CompletionItemKind.Function,
      "tool",
      t.contract.description,
      t.args.map((a) => a.name),
    );
  for (const a of BUILTIN_ACTIONS.values())
    add(
      a.name,
      CompletionItemKind.Event,
      "action",
      a.doc,
      a.binders.map(([n]) => n),
    );
  if (!ctx.inString) {
    const groups = view
      ? [...view.env.groups.values()].map((g) => [g.name, g.doc] as const)
      : [...BUILTIN_GROUPS.values()].map((g) => [g.name, g.doc] as const);
    for (const [name, d] of groups) add(name, CompletionItemKind.Module, "action group", d);
  }
  // The agent's own capabilities are action names too.
  const agent = doc.pathAt(offset).find((n): n is A.AgentDef => n.kind === "Agent");
  for (const m of agent?.members ?? []) {
    if (m?.kind !== "Capabilities" || m.list?.kind !== "Array") continue;
    for (const e of m.list.elements ?? []) {
      const name = e?.kind === "String" ? e.value : e?.kind === "Identifier" ? e.name : undefined;
      if (name && /^[A-Za-z_]\w*$/.test(name) && !items.some((i) => i.label === name))
        add(name, CompletionItemKind.EnumMember, "capability");
    }
  }
  return items;
}

function withItems(inputs: CompletionInputs, ctx: CompletionContext, site: CompletionSite): CompletionItem[] {
  if (ctx.kind === "withAttrName") {
    return ALL_WITH_ATTRIBUTES.filter((a) => !ctx.used.includes(a.name)).map((a) => {
      const item: CompletionItem = {
        label: a.name,
        kind: CompletionItemKind.Property,
        documentation: md(a.doc),
        sortText: SORT.member + a.name,
      };
      if (inputs.options.snippets) {
        item.insertText = `${a.name} = \${1:${a.example.replace(/[$}\\]/g, "\\$&")}}`;
        item.insertTextFormat = InsertTextFormat.Snippet;
      } else item.insertText = `${a.name} = `;
      return item;
    });
  }
  if (ctx.kind !== "withAttrValue") return [];
  const info = WITH_ATTRIBUTE_BY_NAME.get(ctx.attr);
  return (info ? (attributeValues(info) ?? []) : []).map((v, i) => valueItem(inputs, site, v, info!.doc, i));
}

function valueItem(
  inputs: CompletionInputs,
  site: CompletionSite,
  v: string,
  doc: string | undefined,
  i: number,
): CompletionItem {
  const item: CompletionItem = {
    label: v,
    kind: v.startsWith('"') ? CompletionItemKind.Value : CompletionItemKind.Constant,
    sortText: String(i).padStart(3, "0"),
  };
  if (doc) item.documentation = md(doc);
  if (site.stringToken) {
    // Typing inside a string: replace the whole string, quotes included.
    item.textEdit = {
      range: offsetRange(inputs.doc.lineMap, site.stringToken.start, site.stringToken.end),
      newText: v.startsWith('"') ? v : JSON.stringify(v),
    };
    item.filterText = v.startsWith('"') ? v : JSON.stringify(v);
  }
  return item;
}

function declItems(inputs: CompletionInputs, ctx: CompletionContext, site: CompletionSite): CompletionItem[] {
  if (ctx.kind === "declKey") {
    const items = DECL_KEYS[ctx.decl].map(
      (k) =>
        ({
          label: k.name,
          kind: CompletionItemKind.Property,
          documentation: md(k.doc),
          sortText: SORT.member + k.name,
        }) as CompletionItem,
    );
    if (ctx.decl === "channel")
      items.push(
        keywordItem("policy", "policy ${1:name} {\n\t$0\n}", inputs.options),
        keywordItem("data_classification", "data_classification {\n\t$0\n}", inputs.options),
      );
    if (ctx.decl === "memory") items.push(keywordItem("search", "search {\n\t$0\n}", inputs.options));
    if (ctx.decl === "webhook") items.push(keywordItem("filter", "filter {\n\t$0\n}", inputs.options));
    return items;
  }
  if (ctx.kind !== "declValue") return [];
  if (ctx.key === "agent" || ctx.key === "default_agent") {
    const agents = projectGlobals(inputs, new Set(["agent"])).map((s) => s.name);
    return [...new Set(agents)].map((a, i) => valueItem(inputs, site, a, undefined, i));
  }
  const key = DECL_KEYS[ctx.decl].find((k) => k.name === ctx.key);
  return (key?.values ?? []).map((v, i) => valueItem(inputs, site, v, key!.doc, i));
}

/** User struct types and the stdlib's record types, by name, as field lists. */
function structFields(inputs: CompletionInputs, typeName: string): Array<[string, string]> | undefined {
  const s = inputs.view?.env.struct(typeName);
  if (s) return [...s.fields].map(([n, t]) => [n, typeToString(t)]);
  for (const d of [sem(inputs).doc, ...inputs.otherDocs]) {
    for (const item of d.program.items ?? []) {
      if (item?.kind === "TypeDef" && item.name?.name === typeName && item.definition?.kind === "StructType") {
        return (item.definition.fields ?? [])
          .filter((f) => f?.name?.name)
          .map((f) => [f.name.name, f.type?.name?.name ?? "?"]);
      }
    }
  }
  return undefined;
}

/** The type of the receiver of a member access whose `.` is at `dot`. */
function receiverType(inputs: CompletionInputs, dot: number): Type | undefined {
  const { view } = inputs;
  if (!view || !inputs.viewIsCurrent) return undefined;
  const { doc, at } = sem(inputs);
  // The receiver is the innermost expression ending exactly at the dot (the text before the dot
  // is unchanged by a pending edit, so it ends at the mapped dot in the analysed version too).
  dot = at(dot);
  const path = doc.pathAt(Math.max(0, dot - 1));
  for (let i = path.length - 1; i >= 0; i--) {
    const n: A.Node = path[i]!;
    let outer: A.Node = n;
    if (n.span.end === dot && n.kind !== "Error") {
      // Prefer the outermost node ending at the dot (`a.b` rather than `b`).
      for (let j = i - 1; j >= 0 && path[j]!.span.end === dot; j--)
        if (path[j]!.kind !== "Error" && path[j]!.kind !== "ExprStmt") outer = path[j]! as A.Node;
      return view.typeOf(outer) ?? view.typeOf(n);
    }
  }
  return undefined;
}

function memberItems(inputs: CompletionInputs, dot: number): CompletionItem[] {
  const t = receiverType(inputs, dot) ?? trustedRecordGuess(inputs, dot);
  if (!t) return [];
  const items: CompletionItem[] = [];
  const env = inputs.view?.env;
  const rec = env ? recordFields(t, env) : t.k === "record" ? { fields: t.fields, open: t.open } : undefined;
  if (rec)
    for (const [name, ft] of rec.fields)
      items.push({
        label: name,
        kind: CompletionItemKind.Field,
        detail: typeToString(ft),
        sortText: SORT.member + name,
      });
  const head = receiverName(t);
  if (head) {
    for (const m of builtinMethods(head).values()) {
      const sig = methodSignature(m);
      const item: CompletionItem = {
        label: m.name,
        kind: CompletionItemKind.Method,
        detail: sig.label,
        documentation: md(m.doc),
        sortText: SORT.member + m.name,
      };
      if (inputs.options.snippets) {
        item.insertText = sig.params.length ? `${m.name}($1)` : `${m.name}()`;
        item.insertTextFormat = InsertTextFormat.Snippet;
      }
      items.push(item);
    }
    for (const f of builtinFields(head).values())
      if (!items.some((i) => i.label === f.name))
        items.push({
          label: f.name,
          kind: CompletionItemKind.Field,
          detail: f.type,
          documentation: md(f.doc),
          sortText: SORT.member + f.name,
        });
  }
  return items;
}

/** Without a checker type: `user.`, `session.`, `system.`, `context.` still have their record fields. */
function trustedRecordGuess(inputs: CompletionInputs, dot: number): Type | undefined {
  const word = /([A-Za-z_]\w*)\s*$/.exec(inputs.doc.text.slice(Math.max(0, dot - 40), dot))?.[1];
  const typeName = word && isTrustedRecord(word) ? TRUSTED_RECORD_TYPES[word] : undefined;
  if (!typeName || !inputs.view) return undefined;
  if (visibleLocals(inputs, dot).some((s) => s.name === word)) return undefined;
  return { k: "named", name: typeName };
}

export function completions(
  inputs: CompletionInputs,
  site: CompletionSite = completionSite(inputs.doc, inputs.offset),
): CompletionList {
  const ctx = site.context;
  const o = inputs.options;
  let items: CompletionItem[] = [];
  switch (ctx.kind) {
    case "none":
      break;
    case "topLevel":
      items = TOP_LEVEL_SNIPPETS.map(([k, s]) => keywordItem(k, s, o, "0"));
      break;
    case "agentItem":
      items = AGENT_ITEM_SNIPPETS.map(([k, s]) => keywordItem(k, s, o, "0"));
      break;
    case "policyVerb":
      items = POLICY_VERBS.map((v) => ({ ...keywordItem(v, undefined, o, "0"), insertText: `${v}: ` }));
      if (ctx.alsoGuard) items.push(keywordItem("if", undefined, o, "1"));
      break;
    case "policyAction":
      items = policyActionItems(inputs, ctx, site);
      break;
    case "statement":
      items = [
        ...STATEMENT_SNIPPETS.map(([k, s]) => keywordItem(k, s, o, "0")),
        ...(ctx.afterIf ? [keywordItem("else", "else {\n\t$0\n}", o, "0")] : []),
        ...expressionItems(inputs, false),
      ];
      break;
    case "expression":
      items = expressionItems(inputs, ctx.policyGuard);
      break;
    case "member":
      items = memberItems(inputs, ctx.dot);
      break;
    case "type": {
      items = [...BUILTIN_TYPES.values()].map(
        (t) =>
          ({
            label: t.name,
            kind: CompletionItemKind.Struct,
            documentation: md(t.doc),
            sortText: SORT.stdlib + t.name,
          }) as CompletionItem,
      );
      const user = projectGlobals(inputs, new Set(["type"]));
      for (const b of user)
        if (!items.some((i) => i.label === b.name))
          items.push({
            label: b.name,
            kind: CompletionItemKind.Struct,
            detail: "type",
            sortText: SORT.global + b.name,
          });
      break;
    }
    case "withAttrName":
    case "withAttrValue":
      items = withItems(inputs, ctx, site);
      break;
    case "declKey":
    case "declValue":
      items = declItems(inputs, ctx, site);
      break;
    case "settingKey":
      items = settingKeyItems(ctx.verb);
      break;
    case "recordField": {
      const fields = ctx.typeName ? structFields(inputs, ctx.typeName) : undefined;
      items = (fields ?? []).map(([n, t]) => ({
        label: n,
        kind: CompletionItemKind.Field,
        detail: t,
        insertText: `${n}: `,
        sortText: SORT.member + n,
      }));
      break;
    }
  }
  return { isIncomplete: false, items };
}

/** The keys of a `require: { ... }` or `audit: { ... }` record: the checker's settings schema. */
function settingKeyItems(verb: "require" | "audit"): CompletionItem[] {
  const table = verb === "require" ? REQUIRE_SETTINGS : AUDIT_SETTINGS;
  const patterns = verb === "require" ? REQUIRE_PATTERNS : AUDIT_PATTERNS;
  const item = (key: string, spec: SettingSpec): CompletionItem => ({
    label: key,
    kind: CompletionItemKind.Property,
    detail: `${verb} setting (${settingKindText(spec)})`,
    documentation: md(spec.doc),
    insertText: `${key}: `,
    sortText: SORT.member + key,
  });
  return [...[...table].map(([key, spec]) => item(key, spec)), ...patterns.map((p) => item(p.example, p.spec))];
}

export { completionSite };
