/**
 * Hover: the type and documentation of what is under the cursor — declarations and uses (from
 * the checker's symbol table and expression types), built-ins (the stdlib table), tools (their
 * contracts), `with` attributes and declarative keys, keywords, duration literals, and for a
 * policy rule the Cedar it compiles to (when a compiler for single rules is available).
 */
import { MarkupKind, type Hover } from "vscode-languageserver";
import type * as A from "../../grammar/ast.js";
import * as Tok from "../../grammar/tokens.js";
import { BUILTIN_FUNCTIONS, builtinFields, builtinMethods } from "../../stdlib/index.js";
import { receiverName } from "../../compiler/check/stdlib-types.js";
import { recordFields, typeToString, type Type } from "../../compiler/check/types.js";
import type { SymbolInfo } from "../../compiler/check/symbols.js";
import type { SourceDocument } from "../core/document.js";
import { DECL_KEYS, KEYWORD_DOCS, WITH_ATTRIBUTE_BY_NAME, settingKindText } from "../core/knowledge.js";
import { specFor } from "../../compiler/check/index.js";
import { builtinHover, codeBlock, fieldHover, methodHover } from "../core/stdlib-docs.js";
import { offsetRange, spanToRange } from "../core/positions.js";
import type { CheckView } from "../core/semantic.js";
import type { DeclKind } from "../core/completion-context.js";

export interface HoverInputs {
  doc: SourceDocument;
  offset: number;
  view: CheckView | undefined;
  /** The checker's view describes exactly this document text. */
  viewIsCurrent: boolean;
  /** The Cedar a policy rule compiles to, when a per-rule compiler is available. */
  cedarForRule?: (rule: A.PolicyRule, doc: SourceDocument) => string | undefined;
}

const KIND_LABEL: Record<string, string> = {
  agent: "agent",
  function: "function",
  type: "type",
  field: "field",
  tool: "tool",
  memory: "memory store",
  policy: "policy",
  webhook: "webhook",
  schedule: "schedule",
  channel: "channel",
  capability: "capability",
  builtin: "built-in",
  param: "parameter",
  variable: "variable",
  binder: "binder",
  group: "action group",
  action: "action",
};

function hover(value: string, range?: A.Node["span"], doc?: SourceDocument): Hover {
  const h: Hover = { contents: { kind: MarkupKind.Markdown, value } };
  if (range) h.range = spanToRange(range);
  void doc;
  return h;
}

function durationText(ms: number): string {
  const parts: string[] = [];
  const units: Array<[string, number]> = [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1],
  ];
  let rest = ms;
  for (const [u, size] of units) {
    if (rest >= size) {
      const n = Math.floor(rest / size);
      rest -= n * size;
      parts.push(`${n}${u}`);
    }
  }
  return parts.join(" ") || "0ms";
}

function symbolHover(s: SymbolInfo, view: CheckView): string {
  if (s.kind === "builtin") {
    const b = builtinHover(s.name);
    if (b) return b;
  }
  if (s.kind === "tool") {
    const t = view.env.tools.get(s.name);
    if (t) {
      const c = t.contract;
      const params = t.args
        .map((a) => `${a.name}${a.required && a.default === undefined ? "" : "?"}: ${a.type}`)
        .join(", ");
      const lines = [codeBlock(`tool ${c.name}(${params}) -> ${typeToString(t.type.result)}`), c.description];
      const args = t.args
        .filter((a) => a.description)
        .map(
          (a) =>
            `- \`${a.name}\` (${a.type}${a.allowed ? `: ${a.allowed.map((v) => `\`${v}\``).join(", ")}` : ""}) — ${a.description}`,
        );
      if (args.length) lines.push(args.join("\n"));
      lines.push(
        `Risk tier \`${c.riskTier}\`, timeout ${c.timeoutSeconds}s${c.humanApproval ? ", needs human approval" : ""}.`,
      );
      return lines.join("\n\n");
    }
  }
  if (s.kind === "agent") {
    const a = view.env.agents.get(s.name);
    if (a) {
      const params = a.params.map((p) => `${p.name}: ${typeToString(p.type)}`).join(", ");
      return codeBlock(`agent ${a.name}(${params})${a.returnType ? ` -> ${typeToString(a.returnType)}` : ""}`);
    }
  }
  if (s.kind === "function" && s.type?.k === "fn") {
    const f = s.container ? view.env.agentFunctions.get(s.container)?.get(s.name) : view.env.functions.get(s.name);
    if (f) {
      const params = f.params.map((p) => `${p.name}: ${typeToString(p.type)}`).join(", ");
      return codeBlock(
        `function ${s.container ? s.container + "." : ""}${f.name}(${params})${f.returnType ? ` -> ${typeToString(f.returnType)}` : ""}`,
      );
    }
  }
  if (s.kind === "type") {
    const st = view.env.struct(s.name);
    if (st)
      return codeBlock(
        `type ${s.name} = { ${[...st.fields].map(([n, t]) => `${n}: ${typeToString(t)}`).join(", ")}${st.open ? ", .." : ""} }`,
      );
  }
  if (s.kind === "group") {
    const g = view.env.groups.get(s.name);
    if (g)
      return [
        codeBlock(`group ${g.name}`),
        g.doc,
        g.members === "*" ? "Members: every action." : `Members: ${g.members.map((m) => `\`${m}\``).join(", ")}.`,
      ].join("\n\n");
  }
  const label = KIND_LABEL[s.kind] ?? s.kind;
  const head = s.kind === "field" && s.container ? `${s.container}.${s.name}` : s.name;
  const lines = [codeBlock(`(${label}) ${head}${s.type ? `: ${typeToString(s.type)}` : ""}`)];
  if (s.doc) lines.push(s.doc);
  if (s.container && s.kind !== "field") lines.push(`in \`${s.container}\``);
  return lines.join("\n\n");
}

/** A member name (`x.len`, `user.clearance`): the receiver's type says what it is. */
function memberHover(member: A.MemberExpr, view: CheckView): string | undefined {
  const t = view.typeOf(member.object);
  if (!t) return undefined;
  const name = member.property.name;
  const rec = recordFields(t, view.env);
  const ft = rec?.fields.get(name);
  if (ft) return codeBlock(`(field) ${rec?.name ? rec.name + "." : ""}${name}: ${typeToString(ft)}`);
  const head = receiverName(t);
  if (head) {
    const m = builtinMethods(head).get(name);
    if (m) return methodHover(m);
    const f = builtinFields(head).get(name);
    if (f) return fieldHover(f);
  }
  const own = view.typeOf(member);
  return own ? codeBlock(`${name}: ${typeToString(own)}`) : undefined;
}

/** Which declarative block a property belongs to. */
function declKindOf(path: A.Node[]): DeclKind | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const n = path[i]!;
    switch (n.kind) {
      case "Metadata":
        return "metadata";
      case "Schedule":
        return "schedule";
      case "Channel":
        return "channel";
      case "Memory":
        return "memory";
      case "Webhook":
        return "webhook";
      case "SubBlock":
        return n.keyword;
      default:
        break;
    }
  }
  return undefined;
}

export function hoverAt(inputs: HoverInputs): Hover | null {
  const { doc, offset } = inputs;
  const view = inputs.viewIsCurrent ? inputs.view : undefined;
  if (doc.inCommentOrString(offset) === "comment") return null;
  const tok = doc.tokenAt(offset);
  if (!tok) return null;
  const tokRange = offsetRange(doc.lineMap, tok.startOffset, tok.endOffset! + 1);

  if (tok.tokenType === Tok.DurationLiteral) {
    const path = doc.pathAt(offset);
    const lit = path[path.length - 1];
    if (lit?.kind === "Duration")
      return {
        contents: {
          kind: MarkupKind.Markdown,
          value:
            codeBlock(`${lit.raw}: Duration`) +
            `\n\n= ${lit.millis.toLocaleString("en-US")} ms (${durationText(lit.millis)})`,
        },
        range: tokRange,
      };
  }

  const found = doc.identifierAt(offset);
  if (!found) {
    // A keyword the AST does not hold as a name; for a policy verb, the rule's Cedar.
    const path = doc.pathAt(offset);
    const rule = [...path].reverse().find((n): n is A.PolicyRule => n.kind === "PolicyRule");
    if (rule && tok.image === rule.verb && tok.startOffset === rule.span.start) {
      const cedar = inputs.cedarForRule?.(rule, doc);
      const lines = [KEYWORD_DOCS[rule.verb] ?? ""];
      if (cedar) lines.push("Compiles to:\n\n```cedar\n" + cedar.trim() + "\n```");
      return { contents: { kind: MarkupKind.Markdown, value: lines.join("\n\n") }, range: tokRange };
    }
    const kw = KEYWORD_DOCS[tok.image];
    if (kw && /^Kw_/.test(tok.tokenType.name))
      return { contents: { kind: MarkupKind.Markdown, value: kw }, range: tokRange };
    return null;
  }

  const { id, path } = found;
  const parent = path[path.length - 2];
  const range = id.span;

  if (parent?.kind === "WithAttribute" && parent.name === id) {
    const a = WITH_ATTRIBUTE_BY_NAME.get(id.name);
    return hover(
      a
        ? `${codeBlock(`with ${id.name}`)}\n\n${a.doc}`
        : `${codeBlock(`with ${id.name}`)}\n\nNot an attribute the toolchain knows; it has no effect.`,
      range,
    );
  }
  // A key of a `require: { ... }` / `audit: { ... }` record: the checker's settings schema.
  const rule = path[path.length - 4];
  if (
    parent?.kind === "RecordField" &&
    parent.key === id &&
    rule?.kind === "PolicyRule" &&
    path[path.length - 3]?.kind === "Record"
  ) {
    const verb = rule.verb;
    if (verb === "require" || verb === "audit") {
      const spec = specFor(verb, id.name);
      return hover(
        spec
          ? `${codeBlock(`${verb} ${id.name}`)}\n\n${settingKindText(spec)}: ${spec.doc}`
          : `${codeBlock(`${verb} ${id.name}`)}\n\nNot a setting the toolchain knows; nothing enforces it.`,
        range,
      );
    }
  }
  if (parent?.kind === "Property" && parent.key === id) {
    const kind = declKindOf(path);
    const info = kind ? DECL_KEYS[kind].find((k) => k.name === id.name) : undefined;
    return info ? hover(`${codeBlock(`${kind} ${id.name}`)}\n\n${info.doc}`, range) : null;
  }

  if (view) {
    if (parent?.kind === "Member" && parent.property === id) {
      const m = memberHover(parent, view);
      if (m) return hover(m, range);
    }
    const at = view.symbols.at(doc.uri, offset);
    if (at?.symbol) {
      let text = symbolHover(at.symbol, view);
      // A use of a local shows its type at this point (a refined `let`, a binder).
      const t: Type | undefined = view.typeOf(id);
      if (
        t &&
        (at.symbol.kind === "variable" || at.symbol.kind === "param" || at.symbol.kind === "binder") &&
        !at.symbol.type
      )
        text = codeBlock(`(${KIND_LABEL[at.symbol.kind]}) ${id.name}: ${typeToString(t)}`);
      return hover(text, range);
    }
    const t = view.typeOf(id);
    if (t) return hover(codeBlock(`${id.name}: ${typeToString(t)}`), range);
  }

  // Without the checker's answer (it failed on the project): the stdlib's doc for a built-in name.
  if (!view && BUILTIN_FUNCTIONS.has(id.name)) {
    const b = builtinHover(id.name);
    if (b) return hover(b, range);
  }
  return null;
}
