/**
 * The project-wide declaration pass: collects every top-level declaration of every file (agents,
 * functions, types, top-level policies, memory stores, webhooks, schedules, channels), the tools
 * of the tool contracts and the action groups they join, resolves declared types (struct fields,
 * aliases, parameter and return types), and reports duplicates, unknown types and alias cycles.
 *
 * It only reads declarations' headers, so it is cheap; the result's `fingerprint` changes only
 * when something other files can see changes, which is what lets the Project re-check only the
 * edited file after a body edit.
 */
import { isNode, present } from "./present.js";
import type {
  AgentDef,
  FunctionDef,
  Identifier,
  Param,
  PolicyDef,
  Program,
  TypeDef,
  TypeRef,
} from "../../grammar/ast.js";
import type { Span } from "../../grammar/span.js";
import { diagnostic, type Diagnostic } from "../diagnostics/model.js";
import type { ToolContract } from "../contracts/index.js";
import { BUILTIN_ACTIONS, BUILTIN_FUNCTIONS, BUILTIN_GROUPS, BUILTIN_TYPES } from "../../stdlib/index.js";
import { T, type FnParam, type StructDef, type Type, type TypeEnv } from "./types.js";
import { builtinArity, namedBuiltinType, stdlibStructDefs } from "./stdlib-types.js";
import { toolSignature, type ToolSignature } from "./tools.js";
import { didYouMean } from "../../grammar/suggest.js";
import type { Reference, SymbolInfo } from "./symbols.js";

export interface SourceUnit {
  file: string;
  program: Program;
  text: string;
}

export interface ParamInfo {
  name: string;
  type: Type;
  node: Param;
  symbolId: string;
}

export interface FunctionInfo {
  name: string;
  file: string;
  node: FunctionDef;
  /** The owning agent for functions declared inside an agent. */
  agent?: string;
  params: ParamInfo[];
  /** Declared return type; absent means the body's returns are unchecked and callers see JSON. */
  returnType?: Type;
  type: Extract<Type, { k: "fn" }>;
  symbolId: string;
}

export interface AgentDecl {
  name: string;
  file: string;
  node: AgentDef;
  params: ParamInfo[];
  returnType?: Type;
  /** Declared capabilities (strings or bare identifiers), in order, without duplicates. */
  capabilities: Array<{ name: string; span: Span }>;
  symbolId: string;
}

export interface GroupInfo {
  name: string;
  /** `"*"` for all_operations; otherwise the member action names (built-in actions and tools). */
  members: "*" | string[];
  builtin: boolean;
  doc: string;
}

/** Trusted records a project may redeclare (`type User = { ... }`) to type further fields. */
export const OVERRIDABLE_TYPES = new Set(["User", "Session", "System", "Context"]);

export class GlobalEnv implements TypeEnv {
  readonly structs = new Map<string, StructDef>(stdlibStructDefs());
  /** User type declarations by name (the first of duplicates). */
  readonly typeDecls = new Map<string, { file: string; node: TypeDef }>();
  private readonly aliasCache = new Map<string, Type>();
  readonly functions = new Map<string, FunctionInfo>();
  /** Functions declared inside agents, by agent then name. */
  readonly agentFunctions = new Map<string, Map<string, FunctionInfo>>();
  readonly agents = new Map<string, AgentDecl>();
  readonly tools = new Map<string, ToolSignature>();
  readonly groups = new Map<string, GroupInfo>();
  readonly memories = new Map<string, { file: string; name: Identifier }>();
  readonly topPolicies: Array<{ file: string; node: PolicyDef }> = [];
  readonly symbols: SymbolInfo[] = [];
  readonly references: Reference[] = [];
  readonly diagnostics: Diagnostic[] = [];
  fingerprint = "";
  private readonly memos = new Map<string, unknown>();

  /** A value computed once per environment (candidate lists for suggestions, ...). */
  memo<V>(key: string, compute: () => V): V {
    if (this.memos.has(key)) return this.memos.get(key) as V;
    const v = compute();
    this.memos.set(key, v);
    return v;
  }

  struct(name: string): StructDef | undefined {
    return this.structs.get(name);
  }

  /** Resolves a type written in source; reports unknown names and arity in `file`. */
  resolveTypeRef(
    ref: TypeRef,
    file: string,
    diags: Diagnostic[] = this.diagnostics,
    refs: Reference[] = this.references,
  ): Type {
    if (!isNode(ref, "TypeRef") || !isNode(ref.name, "Identifier")) return T.error;
    const name = ref.name.name;
    const args = present(ref.args).map((a) => this.resolveTypeRef(a, file, diags, refs));
    const user = this.typeDecls.get(name);
    if (user) {
      refs.push({ symbolId: `type:${name}`, file, span: ref.name.span, isDeclaration: false, isWrite: false });
      if (ref.args.length > 0)
        diags.push(
          diagnostic({ code: "E0215", message: `type \`${name}\` takes no type arguments`, file, span: ref.span }),
        );
      return this.userType(name);
    }
    const arity = builtinArity(name);
    if (arity === undefined) {
      const candidates = [...this.typeDecls.keys(), ...BUILTIN_TYPES.keys()];
      const help =
        didYouMean(name, candidates) ?? "declare it with `type " + name + " = { ... }` in a file of the project";
      diags.push(diagnostic({ code: "E0101", message: `unknown type \`${name}\``, file, span: ref.name.span, help }));
      return T.error;
    }
    refs.push({ symbolId: `builtin-type:${name}`, file, span: ref.name.span, isDeclaration: false, isWrite: false });
    if (args.length === 0 && arity[0] > 0) {
      diags.push(
        diagnostic({
          code: "W0201",
          message: `\`${name}\` without type arguments holds unchecked values`,
          file,
          span: ref.span,
          help: name === "Map" ? "write `Map<K, V>`" : `write \`${name}<T>\` with the element type`,
        }),
      );
    } else if (args.length < arity[0] || args.length > arity[1]) {
      const want = arity[0] === arity[1] ? `${arity[0]}` : `${arity[0]} or ${arity[1]}`;
      diags.push(
        diagnostic({
          code: "E0215",
          message: `\`${name}\` takes ${want} type argument${arity[1] === 1 ? "" : "s"}, found ${args.length}`,
          file,
          span: ref.span,
        }),
      );
      return namedBuiltinType(name, []) ?? T.error;
    }
    return namedBuiltinType(name, args) ?? T.error;
  }

  /** A user type by name: a struct (by name) or the target of an alias chain. */
  userType(name: string): Type {
    const hit = this.aliasCache.get(name);
    if (hit) return hit;
    const decl = this.typeDecls.get(name);
    if (!decl) return T.error;
    if (decl.node.definition.kind === "StructType") return T.named(name);
    // Alias: follow the chain (cycles were reported and broken in resolveAliases).
    return T.error;
  }

  setAlias(name: string, t: Type): void {
    this.aliasCache.set(name, t);
  }
}

const span0 = (s: Span): Span => s;

function declRef(list: Reference[], symbolId: string, file: string, name: Identifier): void {
  list.push({ symbolId, file, span: name.span, isDeclaration: true, isWrite: false });
}

/** Text of a node's source range (for the fingerprint). */
function slice(text: string, start: number, end: number): string {
  return text.slice(start, Math.max(start, end));
}

export function buildGlobalEnv(
  units: readonly SourceUnit[],
  contracts: ReadonlyMap<string, ToolContract>,
  contractsVersion: string,
): GlobalEnv {
  const env = new GlobalEnv();
  const fp: string[] = [contractsVersion];
  const dup = (kind: string, name: Identifier, file: string, first: { file: string; span: Span }) =>
    env.diagnostics.push(
      diagnostic({
        code: "E0102",
        message: `${kind} \`${name.name}\` is declared twice`,
        file,
        span: name.span,
        help: "rename one of them",
        related: [{ file: first.file, span: first.span, message: "first declared here" }],
      }),
    );

  // 1. Names: types first (everything else refers to them), then the rest.
  const seenPolicies = new Map<string, { file: string; span: Span }>();
  const seenNamed = new Map<string, { file: string; span: Span }>();
  for (const u of units) {
    fp.push(`\u0000${u.file}`);
    for (const item of present(u.program.items)) {
      switch (item.kind) {
        case "TypeDef": {
          fp.push(slice(u.text, item.span.start, item.span.end));
          const name = item.name.name;
          const first = env.typeDecls.get(name);
          if (first) dup("type", item.name, u.file, { file: first.file, span: first.node.name.span });
          else if (BUILTIN_TYPES.has(name) && !OVERRIDABLE_TYPES.has(name)) {
            env.diagnostics.push(
              diagnostic({
                code: "E0102",
                message: `\`${name}\` is a built-in type`,
                file: u.file,
                span: item.name.span,
                help: "choose another name",
              }),
            );
          } else env.typeDecls.set(name, { file: u.file, node: item });
          break;
        }
        case "Agent": {
          const end =
            item.returnType?.span.end ?? item.params?.[item.params.length - 1]?.span.end ?? item.name.span.end;
          fp.push("agent " + slice(u.text, item.span.start, end));
          for (const m of present(item.members))
            if (m.kind === "Capabilities") fp.push(slice(u.text, m.span.start, m.span.end));
          break;
        }
        case "Function":
          fp.push(slice(u.text, item.span.start, item.body.span.start));
          break;
        case "Policy":
          fp.push(slice(u.text, item.span.start, item.span.end));
          break;
        case "Memory":
        case "Webhook":
        case "Schedule":
        case "Channel":
          fp.push(`${item.kind} ${item.name.name}`);
          break;
      }
    }
  }
  env.fingerprint = fp.join("\n");

  // Built-in types are symbols too (hover and go-to-definition show their stdlib doc).
  for (const d of BUILTIN_TYPES.values())
    env.symbols.push({ id: `builtin-type:${d.name}`, kind: "builtin", name: d.name, doc: d.doc });

  // 2. Aliases (with cycle detection), then struct fields.
  resolveAliases(env);
  for (const [name, d] of env.typeDecls) {
    env.symbols.push({
      id: `type:${name}`,
      kind: "type",
      name,
      file: d.file,
      span: span0(d.node.name.span),
      type: env.userType(name),
    });
    declRef(env.references, `type:${name}`, d.file, d.node.name);
    if (d.node.definition.kind !== "StructType") continue;
    const fields = new Map<string, Type>();
    for (const f of present(d.node.definition.fields)) {
      if (!isNode(f.name, "Identifier") || !isNode(f.type, "TypeRef")) continue;
      const t = env.resolveTypeRef(f.type, d.file);
      if (fields.has(f.name.name)) {
        env.diagnostics.push(
          diagnostic({
            code: "E0102",
            message: `field \`${f.name.name}\` is declared twice in \`${name}\``,
            file: d.file,
            span: f.name.span,
          }),
        );
        continue;
      }
      fields.set(f.name.name, t);
      const id = `field:${name}.${f.name.name}`;
      env.symbols.push({
        id,
        kind: "field",
        name: f.name.name,
        file: d.file,
        span: f.name.span,
        type: t,
        container: name,
      });
      declRef(env.references, id, d.file, f.name);
    }
    env.structs.set(name, { name, fields, open: false, file: d.file });
  }

  // 3. Tools and groups.
  for (const g of BUILTIN_GROUPS.values())
    env.groups.set(g.name, {
      name: g.name,
      members: g.members === "*" ? "*" : [...g.members],
      builtin: true,
      doc: g.doc,
    });
  for (const [name, c] of [...contracts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (reserved(env, "tool", { name, span: c.spans.name }, c.file)) continue;
    if (BUILTIN_FUNCTIONS.has(name)) {
      env.diagnostics.push(
        diagnostic({
          code: "E0102",
          message: `tool \`${name}\` has the name of a builtin`,
          file: c.file,
          span: c.spans.name,
          help: "rename the tool; calls would be ambiguous",
        }),
      );
      continue;
    }
    env.tools.set(name, toolSignature(c));
    env.symbols.push({
      id: `tool:${name}`,
      kind: "tool",
      name,
      file: c.file,
      span: c.spans.name,
      type: env.tools.get(name)!.type,
      doc: c.description,
    });
    for (const g of c.policy?.groups ?? []) {
      let info = env.groups.get(g);
      if (!info)
        env.groups.set(
          g,
          (info = { name: g, members: [], builtin: false, doc: `Action group joined by tool contracts.` }),
        );
      if (info.members !== "*" && !info.members.includes(name)) info.members.push(name);
    }
  }

  // 4. Agents, functions, policies, memory and the other named blocks.
  for (const u of units) {
    for (const item of present(u.program.items)) {
      switch (item.kind) {
        case "Agent": {
          const name = item.name.name;
          const first = env.agents.get(name);
          if (first) {
            dup("agent", item.name, u.file, { file: first.file, span: first.node.name.span });
            break;
          }
          if (reserved(env, "agent", item.name, u.file)) break;
          const params = paramInfos(env, item.params ?? [], u.file, name);
          const decl: AgentDecl = {
            name,
            file: u.file,
            node: item,
            params,
            capabilities: capabilitiesOf(item),
            symbolId: `agent:${name}`,
          };
          if (item.returnType) decl.returnType = env.resolveTypeRef(item.returnType, u.file);
          env.agents.set(name, decl);
          env.symbols.push({ id: decl.symbolId, kind: "agent", name, file: u.file, span: item.name.span });
          declRef(env.references, decl.symbolId, u.file, item.name);
          const fns = new Map<string, FunctionInfo>();
          for (const m of present(item.members)) {
            if (m.kind !== "Function") continue;
            const f = functionInfo(env, m, u.file, name);
            const prev = fns.get(f.name);
            if (prev) dup("function", m.name, u.file, { file: u.file, span: prev.node.name.span });
            else if (reserved(env, "function", m.name, u.file)) continue;
            else if (BUILTIN_FUNCTIONS.has(f.name) || env.tools.has(f.name)) nameTaken(env, m.name, u.file);
            else fns.set(f.name, f);
          }
          env.agentFunctions.set(name, fns);
          break;
        }
        case "Function": {
          const f = functionInfo(env, item, u.file);
          const first = env.functions.get(f.name);
          if (first) dup("function", item.name, u.file, { file: first.file, span: first.node.name.span });
          else if (reserved(env, "function", item.name, u.file)) break;
          else if (BUILTIN_FUNCTIONS.has(f.name) || env.tools.has(f.name)) nameTaken(env, item.name, u.file);
          else env.functions.set(f.name, f);
          break;
        }
        case "Policy": {
          const name = item.name.name;
          const first = seenPolicies.get(name);
          if (first) dup("policy", item.name, u.file, first);
          else seenPolicies.set(name, { file: u.file, span: item.name.span });
          env.topPolicies.push({ file: u.file, node: item });
          env.symbols.push({ id: `policy:${name}`, kind: "policy", name, file: u.file, span: item.name.span });
          declRef(env.references, `policy:${name}`, u.file, item.name);
          break;
        }
        case "Memory": {
          const name = item.name.name;
          const first = env.memories.get(name);
          if (first) dup("memory store", item.name, u.file, { file: first.file, span: first.name.span });
          else env.memories.set(name, { file: u.file, name: item.name });
          env.symbols.push({
            id: `memory:${name}`,
            kind: "memory",
            name,
            file: u.file,
            span: item.name.span,
            type: { k: "opaque", name: "Memory" },
          });
          declRef(env.references, `memory:${name}`, u.file, item.name);
          break;
        }
        case "Webhook":
        case "Schedule":
        case "Channel": {
          const kind = item.kind === "Webhook" ? "webhook" : item.kind === "Schedule" ? "schedule" : "channel";
          const name = item.name.name;
          const key = `${kind}:${name}`;
          const first = seenNamed.get(key);
          if (first) dup(kind, item.name, u.file, first);
          else seenNamed.set(key, { file: u.file, span: item.name.span });
          env.symbols.push({ id: key, kind, name, file: u.file, span: item.name.span });
          declRef(env.references, key, u.file, item.name);
          break;
        }
      }
    }
  }
  return env;
}

function capabilitiesOf(agent: AgentDef): Array<{ name: string; span: Span }> {
  const out: Array<{ name: string; span: Span }> = [];
  for (const m of present(agent.members)) {
    if (m.kind !== "Capabilities") continue;
    for (const el of present(m.list?.elements)) {
      const name = el.kind === "String" ? el.value : el.kind === "Identifier" ? el.name : undefined;
      if (name !== undefined && !out.some((c) => c.name === name)) out.push({ name, span: el.span });
    }
  }
  return out;
}

/**
 * What a reserved name is — a built-in action or a built-in action group — or undefined.
 * Policies name these; a tool, agent or function of the same name would take the name over
 * (a `deny:` on a group would stop matching what it was written against).
 */
function reservedNameKind(name: string): string | undefined {
  if (BUILTIN_ACTIONS.has(name)) return "a built-in action";
  if (BUILTIN_GROUPS.has(name)) return "a built-in action group";
  return undefined;
}

function reserved(
  env: GlobalEnv,
  kind: string,
  name: Identifier | { name: string; span: Span },
  file: string,
): boolean {
  const what = reservedNameKind(name.name);
  if (what === undefined) return false;
  env.diagnostics.push(
    diagnostic({
      code: "E0110",
      message: `${kind} \`${name.name}\` has the name of ${what}, which policies use`,
      file,
      span: name.span,
      help: `rename the ${kind}`,
    }),
  );
  return true;
}

function nameTaken(env: GlobalEnv, name: Identifier, file: string): void {
  const what = BUILTIN_FUNCTIONS.has(name.name) ? "a builtin function" : "a tool";
  env.diagnostics.push(
    diagnostic({
      code: "E0102",
      message: `function \`${name.name}\` has the name of ${what}`,
      file,
      span: name.span,
      help: "rename the function; calls would be ambiguous",
    }),
  );
}

function paramInfos(env: GlobalEnv, params: Param[], file: string, container: string): ParamInfo[] {
  const out: ParamInfo[] = [];
  const seen = new Set<string>();
  for (const p of present(params)) {
    if (!isNode(p.name, "Identifier")) continue;
    const type = isNode(p.type, "TypeRef") ? env.resolveTypeRef(p.type, file) : T.error;
    const symbolId = `local:${file}:${p.name.span.start}`;
    if (seen.has(p.name.name)) {
      env.diagnostics.push(
        diagnostic({
          code: "E0102",
          message: `parameter \`${p.name.name}\` is declared twice`,
          file,
          span: p.name.span,
        }),
      );
    }
    seen.add(p.name.name);
    out.push({ name: p.name.name, type, node: p, symbolId });
    env.symbols.push({ id: symbolId, kind: "param", name: p.name.name, file, span: p.name.span, type, container });
    declRef(env.references, symbolId, file, p.name);
  }
  return out;
}

function functionInfo(env: GlobalEnv, node: FunctionDef, file: string, agent?: string): FunctionInfo {
  const name = node.name.name;
  const params = paramInfos(env, node.params, file, name);
  // Trailing parameters of Option type may be left out by callers (they are None).
  let optionalFrom = params.length;
  while (optionalFrom > 0 && params[optionalFrom - 1]!.type.k === "option") optionalFrom--;
  const fnParams: FnParam[] = params.map((p, i) => ({
    name: p.name,
    type: p.type,
    optional: i >= optionalFrom,
    rest: false,
  }));
  const returnType = node.returnType ? env.resolveTypeRef(node.returnType, file) : undefined;
  const symbolId = agent ? `function:${agent}.${name}` : `function:${name}`;
  const info: FunctionInfo = {
    name,
    file,
    node,
    params,
    type: { k: "fn", params: fnParams, result: returnType ?? T.JSON },
    symbolId,
  };
  if (agent) info.agent = agent;
  if (returnType) info.returnType = returnType;
  env.symbols.push({
    id: symbolId,
    kind: "function",
    name,
    file,
    span: node.name.span,
    type: info.type,
    ...(agent ? { container: agent } : {}),
  });
  declRef(env.references, symbolId, file, node.name);
  return info;
}

/** Resolves `type A = B` chains; a chain that loops is E0107 at each alias in the loop. */
function resolveAliases(env: GlobalEnv): void {
  const state = new Map<string, "visiting" | "done">();
  const resolve = (name: string): Type => {
    const decl = env.typeDecls.get(name);
    if (!decl) return T.error;
    if (decl.node.definition.kind === "StructType") return T.named(name);
    // A definition the parser could not read (reported there): its meaning is unknown.
    if (decl.node.definition.kind === "Error") return T.error;
    if (state.get(name) === "done") return env.userType(name);
    if (state.get(name) === "visiting") return T.error;
    state.set(name, "visiting");
    // Follow the chain iteratively to find a cycle without deep recursion.
    const chain: string[] = [name];
    let cur = decl.node.definition;
    let result: Type | undefined;
    for (;;) {
      const target = cur.name.name;
      env.references.push({
        symbolId: env.typeDecls.has(target) ? `type:${target}` : `builtin-type:${target}`,
        file: env.typeDecls.get(chain[chain.length - 1]!)!.file,
        span: cur.name.span,
        isDeclaration: false,
        isWrite: false,
      });
      const next = env.typeDecls.get(target);
      if (!next) {
        const file = env.typeDecls.get(chain[chain.length - 1]!)!.file;
        result = env.resolveTypeRef(cur, file, env.diagnostics, []);
        break;
      }
      if (next.node.definition.kind === "StructType") {
        result = T.named(target);
        break;
      }
      if (next.node.definition.kind === "Error") {
        result = T.error;
        break;
      }
      if (chain.includes(target) || state.get(target) === "visiting") {
        const loop = chain.slice(chain.indexOf(target) >= 0 ? chain.indexOf(target) : 0);
        for (const n of loop) {
          const d = env.typeDecls.get(n)!;
          env.diagnostics.push(
            diagnostic({
              code: "E0107",
              message: `type alias \`${n}\` refers to itself (${[...loop, loop[0]].join(" → ")})`,
              file: d.file,
              span: d.node.name.span,
              help: "make one of the types a struct `{ ... }` or alias a concrete type",
            }),
          );
          env.setAlias(n, T.error);
          state.set(n, "done");
        }
        result = T.error;
        break;
      }
      if (state.get(target) === "done") {
        result = env.userType(target);
        break;
      }
      chain.push(target);
      state.set(target, "visiting");
      cur = next.node.definition;
    }
    for (const n of chain) {
      if (state.get(n) !== "done") {
        env.setAlias(n, result);
        state.set(n, "done");
      }
    }
    return result;
  };
  for (const name of env.typeDecls.keys()) resolve(name);
}
