/**
 * `with` attributes (LANGUAGE.md Appendix D; declared in stdlib/with-attributes.ts) validated
 * into the settings the sandbox manifest is built from. Known attributes and their values:
 *
 *   sandbox        Tier1 | docker, Tier2 | gvisor, process (case-insensitive; Tier3/firecracker/e2b
 *                  are recognised but unsupported: E0400)
 *   timeout        a duration literal (30s, 5m, 100ms, 1.5h), a duration string ("30m"), or a bare
 *                  number of MILLISECONDS (W0400 suggests the literal); 0 < timeout ≤ 24h
 *   max_memory_mb  whole number 4..1048576        max_cpu_cores  number, 0 < n ≤ 256
 *   max_pids       whole number 1..32768
 *   fresh          true | false: one container per tool call instead of the block's warm
 *                  container (state left by one call is then never seen by the next)
 *   network_policy "deny_all" | "none"            network        ["host:port", ...] allowlist
 *   memory         ephemeral | persistent | session | encrypted
 *   security       low | medium | standard | high | maximum
 *   privacy        standard | high | strict | differential
 *   requires       a string or a list of strings (credentials the run needs)
 *   skills         a string or a list of strings: skill folders relative to the project root
 *                  (existence and SKILL.md front matter are checked with the project: skills.ts)
 *   coordination   enabled | disabled
 *   storage, cleanup, epsilon, encryption, communication, authentication, retry_policy, priority:
 *                  accepted (the guide uses them) and carried as written; no effect.
 */
import { isNode, present } from "./present.js";
import type { DeclValue, WithAttribute, WithBlock } from "../../grammar/ast.js";
import type { Span } from "../../grammar/span.js";
import type { SandboxNetwork, SandboxTier } from "../../formats/sandbox-manifest.js";
import { WITH_ATTRIBUTES, sandboxTierFromDsl } from "../../stdlib/with-attributes.js";
import { parseNetworkAllow } from "../contracts/sandbox-section.js";
import type { CheckSink } from "./sink.js";
import { parseDurationText } from "./settings-schema.js";
import { didYouMean } from "../../grammar/suggest.js";

export type AttributeValue = string | number | boolean | string[];

export interface WithSettings {
  file: string;
  node: WithBlock;
  /** The validated tier; undefined when absent or invalid (the manifest then uses its default, Tier1). */
  tier?: SandboxTier;
  tierSpan?: Span;
  timeoutMs?: number;
  memoryMb?: number;
  cpus?: number;
  pids?: number;
  /** `fresh = true`: one container per call (see runtime/sandbox/warm-containers.ts). */
  fresh?: boolean;
  network?: SandboxNetwork;
  memory?: string;
  security?: string;
  privacy?: string;
  coordination?: string;
  requires: string[];
  /** Skill folders named by `skills`, relative to the project root, each with the span of its string. */
  skills: Array<{ name: string; span: Span }>;
  /** Every attribute as written (identifiers as their name, durations as milliseconds). */
  attributes: Record<string, AttributeValue>;
}

const MAX_TIMEOUT_MS = 24 * 3_600_000;

function rawValue(v: DeclValue): AttributeValue | undefined {
  switch (v.kind) {
    case "String":
      return v.value;
    case "Number":
      return v.value;
    case "Bool":
      return v.value;
    case "Duration":
      return v.millis;
    case "Identifier":
      return v.name;
    case "Array": {
      const out: string[] = [];
      for (const e of present(v.elements)) {
        if (e.kind === "String") out.push(e.value);
        else if (e.kind === "Identifier") out.push(e.name);
        else return undefined;
      }
      return out;
    }
    default:
      return undefined;
  }
}

/** The shortest exact duration literal for a number of milliseconds (`30000` → `30s`). */
export function durationLiteral(ms: number): string {
  const units: Array<[string, number]> = [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ];
  for (const [u, n] of units) if (ms >= n && ms % n === 0) return `${ms / n}${u}`;
  return `${ms}ms`;
}

export function checkWithBlock(w: WithBlock, sink: CheckSink): WithSettings {
  const out: WithSettings = { file: sink.file, node: w, requires: [], skills: [], attributes: {} };
  const seen = new Map<string, Span>();
  for (const a of present(w.attributes)) {
    if (!isNode(a.name, "Identifier") || !isNode(a.value)) continue;
    const name = a.name.name;
    const first = seen.get(name);
    if (first) {
      sink.report("E0404", `\`${name}\` is set twice`, a.name.span, {
        related: [{ file: sink.file, span: first, message: "first set here" }],
      });
      continue;
    }
    seen.set(name, a.name.span);
    const raw = rawValue(a.value);
    if (raw !== undefined) out.attributes[name] = raw;
    checkAttribute(a, name, raw, out, sink);
  }
  if (!seen.has("sandbox")) {
    const span = { ...w.span, end: w.span.start + 4, endLine: w.span.line, endCol: w.span.col + 4 };
    sink.report("W0402", "this `with` block names no sandbox tier (it runs in Tier1)", span, {
      help: 'add `sandbox = "Tier1"` (or "Tier2") to make the isolation explicit',
    });
  }
  return out;
}

function checkAttribute(
  a: WithAttribute,
  name: string,
  raw: AttributeValue | undefined,
  out: WithSettings,
  sink: CheckSink,
): void {
  const v = a.value;
  const bad = (code: string, message: string, help?: string) =>
    sink.report(code, message, v.span, help ? { help } : {});
  switch (name) {
    case "sandbox": {
      if (typeof raw !== "string")
        return bad("E0400", "`sandbox` takes a tier name", 'write `sandbox = "Tier1"` or `"Tier2"`');
      const t = sandboxTierFromDsl(raw);
      if (!t.ok) return bad("E0400", t.message, didYouMean(raw, ["Tier1", "Tier2", "docker", "gvisor", "process"]));
      out.tier = t.tier;
      out.tierSpan = v.span;
      return;
    }
    case "timeout": {
      let ms: number | undefined;
      if (v.kind === "Duration") ms = v.millis;
      else if (v.kind === "String") {
        ms = parseDurationText(v.value);
        if (ms === undefined)
          return bad("E0401", `\`${v.value}\` is not a duration`, "write a duration such as `30s`, `5m` or `100ms`");
      } else if (v.kind === "Number") {
        ms = v.value;
        const lit = durationLiteral(Math.round(ms));
        sink.report("W0400", `bare number timeout: \`${v.raw}\` means ${v.raw} milliseconds`, v.span, {
          help: `write \`${lit}\` to make the unit explicit`,
          fix: { title: `write \`${lit}\``, edits: [{ file: sink.file, span: v.span, newText: lit }] },
        });
      } else return bad("E0401", "`timeout` takes a duration", "write a duration literal such as `30s`");
      if (!(ms > 0) || ms > MAX_TIMEOUT_MS)
        return bad(
          "E0401",
          `timeout ${durationLiteral(Math.max(0, Math.round(ms)))} is out of range`,
          "a timeout is positive and at most 24h",
        );
      out.timeoutMs = Math.round(ms);
      return;
    }
    case "max_memory_mb":
    case "max_pids": {
      const [lo, hi] = name === "max_memory_mb" ? [4, 1_048_576] : [1, 32_768];
      if (v.kind !== "Number" || !Number.isInteger(v.value) || v.value < lo || v.value > hi)
        return bad("E0402", `\`${name}\` must be a whole number from ${lo} to ${hi}`);
      if (name === "max_memory_mb") out.memoryMb = v.value;
      else out.pids = v.value;
      return;
    }
    case "fresh":
      if (v.kind !== "Bool") return bad("E0405", "`fresh` takes `true` or `false`");
      out.fresh = v.value;
      return;
    case "max_cpu_cores":
      if (v.kind !== "Number" || !(v.value > 0) || v.value > 256)
        return bad("E0402", "`max_cpu_cores` must be a number greater than 0 and at most 256");
      out.cpus = v.value;
      return;
    case "network_policy":
      if (raw === "deny_all" || raw === "none") {
        out.network = { mode: "none" };
        return;
      }
      return bad(
        "E0405",
        `unknown network policy ${JSON.stringify(raw ?? "")}`,
        'use "deny_all", or list allowed hosts with `network = ["host:443"]`',
      );
    case "network": {
      if (!Array.isArray(raw)) return bad("E0405", '`network` takes a list of "host:port" entries');
      const allow = [];
      for (const entry of raw) {
        const p = parseNetworkAllow(entry);
        if (typeof p === "string") return bad("E0405", `\`${entry}\`: ${p}`);
        allow.push({ host: p.host, port: p.port });
      }
      out.network = allow.length ? { mode: "allowlist", allow } : { mode: "none" };
      return;
    }
    case "skills": {
      const items = v.kind === "Array" ? present(v.elements) : [v];
      for (const e of items) {
        if (e.kind !== "String") return bad("E0405", "`skills` takes a string or a list of strings (skill folders)");
        out.skills.push({ name: e.value, span: e.span });
      }
      return;
    }
    case "requires":
      if (typeof raw === "string") out.requires = [raw];
      else if (Array.isArray(raw)) out.requires = raw;
      else bad("E0405", "`requires` takes a string or a list of strings");
      return;
  }
  const decl = WITH_ATTRIBUTES.get(name);
  const allowed = decl?.kind === "enum" ? decl.values! : undefined;
  if (allowed) {
    if (typeof raw === "string" && allowed.includes(raw)) {
      (out as unknown as Record<string, string>)[name] = raw;
      return;
    }
    return bad(
      "E0405",
      `\`${name}\` must be one of ${allowed.map((x) => JSON.stringify(x)).join(", ")}`,
      typeof raw === "string" ? didYouMean(raw, allowed) : undefined,
    );
  }
  if (decl) return;
  const known = [...WITH_ATTRIBUTES.keys()];
  sink.report("W0401", `unknown \`with\` attribute \`${name}\``, a.name.span, {
    help: didYouMean(name, known) ?? `known attributes: ${known.join(", ")}`,
  });
}
