/**
 * Checks the bodies of a file's top-level items, one item at a time, against the project's global
 * environment: agents (capabilities, policies, functions, `with` blocks and their code),
 * top-level functions and policies, channel policies, and the agent references of webhooks and
 * schedules. An item's result depends only on the item and the environment's fingerprint, which
 * is what the Project caches on.
 */
import { isNode, present } from "./present.js";
import type {
  AgentDef,
  Block,
  FunctionDef,
  Identifier,
  Item,
  Node,
  PolicyDef,
  Property,
  WithBlock,
} from "../../grammar/ast.js";
import type { Diagnostic } from "../diagnostics/model.js";
import type { SandboxTier } from "../../formats/sandbox-manifest.js";
import { sandboxTierFromDsl } from "../../stdlib/with-attributes.js";
import { assignable, isLoose, typeToString, type Type } from "./types.js";
import { BodyChecker } from "./body-checker.js";
import type { AgentDecl, FunctionInfo, GlobalEnv, ParamInfo } from "./globals.js";
import { PolicyChecker, type PolicyInfo } from "./policies.js";
import { CheckSink } from "./sink.js";
import { checkWithBlock, durationLiteral, type WithSettings } from "./with-block.js";
import { parseDurationText, tierName, tierRank } from "./settings-schema.js";
import { didYouMeanIn } from "../../grammar/suggest.js";
import type { LocalBinding, Reference, SymbolInfo } from "./symbols.js";

/** What one file contributes about an agent (the Project adds the top-level policies in scope). */
export interface AgentPart {
  decl: AgentDecl;
  policies: PolicyInfo[];
  withBlocks: WithSettings[];
}

/** What checking one top-level item gives. */
export interface ItemCheck {
  diagnostics: Diagnostic[];
  references: Reference[];
  symbols: SymbolInfo[];
  locals: readonly LocalBinding[];
  types: ReadonlyMap<Node, Type>;
  resolved: ReadonlyMap<Identifier, string>;
  /** For an agent (the environment's declaration of its name): what it contributes. */
  agent?: AgentPart;
  topPolicy?: PolicyInfo;
  channelPolicies: PolicyInfo[];
  /**
   * Whether the item was the environment's declaration of its name when checked (an agent or
   * function declared twice is checked once): a cached check is valid only while that holds.
   */
  owner: boolean;
}

/**
 * Checks one top-level item of `file` against the project's environment. Its result depends only
 * on the item and the environment's fingerprint, which is what the Project caches it on (so an
 * edit re-checks the edited items only).
 */
export function checkItem(item: Item, file: string, env: GlobalEnv, recordSymbols = true): ItemCheck {
  const sink = new CheckSink(file, env, recordSymbols);
  const part = checkItemInto(item, sink);
  return {
    diagnostics: sink.diagnostics,
    references: sink.references,
    symbols: sink.symbols,
    locals: sink.locals,
    types: sink.types,
    resolved: sink.resolved,
    channelPolicies: part.channelPolicies,
    owner: isOwner(item, env),
    ...(part.agent ? { agent: part.agent } : {}),
    ...(part.topPolicy ? { topPolicy: part.topPolicy } : {}),
  };
}

/** Whether `item` is the environment's declaration of its name (always, for items without one). */
export function isOwner(item: Item, env: GlobalEnv): boolean {
  if (item.kind === "Agent") return env.agents.get(item.name.name)?.node === item;
  if (item.kind === "Function") return env.functions.get(item.name.name)?.node === item;
  return true;
}

function checkItemInto(
  item: Item,
  sink: CheckSink,
): { agent?: AgentPart; topPolicy?: PolicyInfo; channelPolicies: PolicyInfo[] } {
  const env = sink.env;
  const channelPolicies: PolicyInfo[] = [];
  switch (item.kind) {
    case "Agent": {
      const decl = env.agents.get(item.name.name);
      if (decl && decl.node === item) return { agent: checkAgent(item, decl, sink), channelPolicies };
      break;
    }
    case "Function": {
      const f = env.functions.get(item.name.name);
      if (f && f.node === item) checkFunction(f, sink);
      break;
    }
    case "Policy":
      return { topPolicy: new PolicyChecker(sink, undefined).check(item, "top"), channelPolicies };
    case "Channel":
      for (const m of present(item.members))
        if (m.kind === "Policy") channelPolicies.push(new PolicyChecker(sink, undefined).check(m, "channel"));
      break;
    case "Webhook":
      for (const m of present(item.members)) if (m.kind === "Property") agentProperty(m, sink);
      break;
    case "Schedule":
      for (const m of present(item.entries)) agentProperty(m, sink);
      break;
    case "Metadata":
      for (const m of present(item.entries)) modelProperty(m, sink);
      break;
  }
  return { channelPolicies };
}

/** `metadata { model = "..." }` is read by the runtime (the agents' model): it must be a model name. */
function modelProperty(p: Property, sink: CheckSink): void {
  if (p.key.name !== "model") return;
  const v = p.value;
  if (v.kind === "String" && v.value.trim() !== "" && !/[\s\0]/.test(v.value)) return;
  sink.report("E0220", 'metadata `model` must be a model name in a string, such as "openai:gpt-4o-mini"', v.span, {
    help: 'write the model as a string without spaces: "MODEL" or "PROVIDER:MODEL"',
  });
}

/** `agent incident_tracker` in a webhook, `agent: "x"` in a schedule: the agent must exist. */
function agentProperty(p: Property, sink: CheckSink): void {
  if (p.key.name !== "agent") return;
  const v = p.value;
  const name = v.kind === "Identifier" ? v.name : v.kind === "String" ? v.value : undefined;
  if (name === undefined) return;
  if (sink.env.agents.has(name)) sink.ref(`agent:${name}`, v.kind === "Identifier" ? v : { span: v.span });
  else
    sink.report("E0308", `no agent named \`${name}\``, v.span, {
      help:
        didYouMeanIn(
          name,
          sink.env.memo("agent-names", () => [...sink.env.agents.keys()]),
        ) ?? "declare the agent in a file of the project",
    });
}

function checkFunction(f: FunctionInfo, sink: CheckSink, agent?: AgentDecl): void {
  const bc = new BodyChecker(sink, {
    ...(agent ? { agent } : {}),
    ...(f.returnType ? { returnType: f.returnType } : {}),
  });
  const scope = bc.paramScope(paramsOf(f.params), "body", f.node.span);
  const value = bc.blockIn(f.node.body, scope);
  bc.closeScope(scope);
  checkFallOff(f.node.body, value, f.returnType, bc, `function \`${f.name}\``, f.node.name.span);
}

function paramsOf(params: ParamInfo[]) {
  return params.map((p) => ({ name: p.name, type: p.type, symbolId: p.symbolId, span: p.node.name.span }));
}

/** A body whose end is reachable must produce the declared type through its tail expression. */
function checkFallOff(
  body: Block,
  value: Type,
  want: Type | undefined,
  bc: BodyChecker,
  what: string,
  at: { start: number } & FunctionDef["span"],
): void {
  if (!want || isLoose(want) || want.k === "unit" || value.k === "never") return;
  if (body.tail) {
    if (!bc.fits(body.tail, value, want)) {
      bc.sink.report("E0210", "the block's value does not fit the return type", body.tail.span, {
        notes: [`expected: ${typeToString(want)}`, `found: ${typeToString(value)}`],
      });
    }
    return;
  }
  if (want.k === "option") return; // falling off the end returns None
  // A trailing if/match/try statement gives the block its value (LANGUAGE.md §1.4.2).
  const last = body.statements[body.statements.length - 1];
  if (last && (last.kind === "If" || last.kind === "Match" || last.kind === "Try") && value.k !== "unit") {
    if (!assignable(value, want, bc.sink.env))
      bc.sink.report("E0210", "the block's value does not fit the return type", last.span, {
        notes: [`expected: ${typeToString(want)}`, `found: ${typeToString(value)}`],
      });
    return;
  }
  const shown = typeToString(want);
  bc.sink.report(
    "E0210",
    `${what} may end without returning ${/^[aeiouAEIOU]/.test(shown) ? "an" : "a"} \`${shown}\``,
    at,
    { help: "add a `return` on every path" },
  );
}

function checkAgent(node: AgentDef, decl: AgentDecl, sink: CheckSink): AgentPart {
  const part: AgentPart = { decl, policies: [], withBlocks: [] };
  for (const c of decl.capabilities) {
    const id = `capability:${decl.name}.${c.name}`;
    sink.symbol({ id, kind: "capability", name: c.name, file: sink.file, span: c.span, container: decl.name });
    sink.ref(id, { span: c.span }, { decl: true });
  }
  for (const m of node.members) {
    if (m.kind !== "Capabilities") continue;
    for (const el of present(m.list?.elements)) {
      if (el.kind !== "String" && el.kind !== "Identifier")
        sink.report("E0301", "a capability is a name (a string or an identifier)", el.span);
    }
  }
  const policyNames = new Map<string, PolicyDef>();
  const policies = new PolicyChecker(sink, decl);
  for (const m of node.members) {
    if (m.kind === "Policy") {
      const first = policyNames.get(m.name.name);
      if (first)
        sink.report("E0102", `policy \`${m.name.name}\` is declared twice in agent \`${decl.name}\``, m.name.span, {
          related: [{ file: sink.file, span: first.name.span, message: "first declared here" }],
        });
      else policyNames.set(m.name.name, m);
      const id = `policy:${decl.name}.${m.name.name}`;
      sink.symbol({ id, kind: "policy", name: m.name.name, file: sink.file, span: m.name.span, container: decl.name });
      sink.ref(id, m.name, { decl: true });
      part.policies.push(policies.check(m, "agent"));
    } else if (m.kind === "Function") {
      const f = sink.env.agentFunctions.get(decl.name)?.get(m.name.name);
      if (f && f.node === m) checkFunction(f, sink, decl);
    } else if (m.kind === "With") {
      part.withBlocks.push(checkWith(m, decl, sink));
    }
  }
  checkTierRequirements(part, sink);
  return part;
}

function checkWith(w: WithBlock, decl: AgentDecl, sink: CheckSink): WithSettings {
  const settings = checkWithBlock(w, sink);
  const bc = new BodyChecker(sink, { agent: decl, ...(decl.returnType ? { returnType: decl.returnType } : {}) });
  const scope = bc.paramScope(paramsOf(decl.params), "body", w.span);
  const value = bc.blockIn(w.body, scope);
  bc.closeScope(scope);
  const end = { ...w.span, end: w.span.start + 4, endLine: w.span.line, endCol: w.span.col + 4 };
  checkFallOff(w.body, value, decl.returnType, bc, `the code of agent \`${decl.name}\``, end);
  return settings;
}

/**
 * Policies in scope (the agent's own and the top-level ones) against each `with` block:
 * `require: { sandbox_tier: "Tier2" }` under a weaker tier, or `require: { total_timeout: "10m" }`
 * under a longer `timeout`, is E0403. A block without `sandbox` runs in Tier1.
 */
function checkTierRequirements(part: AgentPart, sink: CheckSink): void {
  type Req = { file: string; span: FunctionDef["span"]; policy: string };
  const tiers: Array<Req & { tier: SandboxTier }> = [];
  const timeouts: Array<Req & { ms: number; text: string }> = [];
  for (const p of part.policies) {
    for (const r of p.rules) {
      if (r.verb !== "require") continue;
      for (const s of r.settings) {
        if (s.key === "sandbox_tier" && typeof s.normalized === "string")
          tiers.push({ tier: s.normalized, file: p.file, span: s.valueSpan, policy: p.name });
        if (s.key === "total_timeout" && typeof s.normalized === "number")
          timeouts.push({ ms: s.normalized, text: String(s.value), file: p.file, span: s.valueSpan, policy: p.name });
      }
    }
  }
  // Top-level policies are checked in their own files; read their two settings syntactically.
  for (const tp of sink.env.topPolicies) {
    for (const rule of present(tp.node.rules)) {
      if (rule.verb !== "require" || rule.action?.kind !== "Record") continue;
      for (const f of present(rule.action.fields)) {
        if (!isNode(f.key) || !isNode(f.value)) continue;
        const key = f.key.kind === "Identifier" ? f.key.name : f.key.value;
        if (f.value.kind !== "String") continue;
        const at = { file: tp.file, span: f.value.span, policy: tp.node.name.name };
        if (key === "sandbox_tier") {
          const t = sandboxTierFromDsl(f.value.value);
          if (t.ok) tiers.push({ tier: t.tier, ...at });
        } else if (key === "total_timeout") {
          const ms = parseDurationText(f.value.value);
          if (ms !== undefined) timeouts.push({ ms, text: f.value.value, ...at });
        }
      }
    }
  }
  for (const w of part.withBlocks) {
    const tier = w.tier ?? "tier1";
    const head = { ...w.node.span, end: w.node.span.start + 4, endLine: w.node.span.line, endCol: w.node.span.col + 4 };
    for (const req of tiers) {
      if (tierRank(tier) >= tierRank(req.tier)) continue;
      sink.report(
        "E0403",
        `policy \`${req.policy}\` requires sandbox tier ${tierName(req.tier)}, but this block runs in ${tierName(tier)}`,
        w.tierSpan ?? head,
        {
          help: `write \`sandbox = "${tierName(req.tier)}"\``,
          related: [{ file: req.file, span: req.span, message: "required here" }],
        },
      );
    }
    if (w.timeoutMs === undefined) continue;
    const timeoutAttr = present(w.node.attributes).find((a) => a.name?.name === "timeout");
    for (const req of timeouts) {
      if (w.timeoutMs <= req.ms) continue;
      sink.report(
        "E0403",
        `policy \`${req.policy}\` requires runs to end within ${durationLiteral(req.ms)}, but this block's timeout is ${durationLiteral(w.timeoutMs)}`,
        timeoutAttr?.value.span ?? head,
        {
          help: `write \`timeout = ${durationLiteral(req.ms)}\` or less`,
          related: [{ file: req.file, span: req.span, message: "required here" }],
        },
      );
    }
  }
}
