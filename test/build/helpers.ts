/** Shared helpers for the build tests: building a project folder in memory, deciding requests both ways. */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildProject, projectPath, type AgentBundle, type BuildOutput } from "../../compiler/emit/build.js";
import { PolicyEvaluator } from "../helpers/policy-oracle.js";
import type { PolicyRequest } from "../../runtime/gate/request.js";
import { DEFAULT_DENY, type PolicySet } from "../../runtime/gate/gate.js";
import { policySetOf } from "../helpers/gate.js";
import { TRUSTED_RECORDS } from "../../stdlib/trusted-records.js";
import { collectSourceFiles } from "../../compiler/project/files.js";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/**
 * Builds every source under `<projectDir>/<sub>` (default agents/) in memory, the rest of the
 * project's sources checked alongside. `check: false` lets the checker's findings through (see
 * the tests that use it for why).
 */
export function buildDir(projectDir: string, opts: { sub?: string; check?: boolean } = {}): BuildOutput {
  const dir = resolve(projectDir);
  const files = collectSourceFiles([join(dir, opts.sub ?? "agents")]);
  const wanted = new Set(files.map((f) => resolve(f)));
  const others = collectSourceFiles([dir]).filter((f) => !wanted.has(resolve(f)));
  const read = (f: string) => ({ file: projectPath(dir, resolve(f)), bytes: readFileSync(f) });
  return buildProject({
    projectDir: dir,
    sources: files.map(read),
    otherSources: others.map(read),
    compilerVersion: "test",
    ...(opts.check !== undefined ? { check: opts.check } : {}),
  });
}

/** Builds one source text with in-memory contracts (`tools/<name>.clad.toml` → text). */
export function buildText(
  text: string,
  opts: { contracts?: Record<string, string>; file?: string; check?: boolean } = {},
): BuildOutput {
  const dir = join(ROOT, "test/build/fixtures/empty");
  const contractTexts = Object.entries(opts.contracts ?? {}).map(([name, t]) => ({
    file: `tools/${name}.clad.toml`,
    text: t,
  }));
  return buildProject({
    projectDir: dir,
    sources: [{ file: opts.file ?? "agents/test.symbi", bytes: Buffer.from(text) }],
    contractTexts,
    compilerVersion: "test",
    ...(opts.check !== undefined ? { check: opts.check } : {}),
  });
}

export interface Both {
  oracle: PolicyEvaluator;
  gate: PolicySet;
}

const cache = new WeakMap<AgentBundle, Both>();
export function deciders(b: AgentBundle): Both {
  let d = cache.get(b);
  if (!d) cache.set(b, (d = { oracle: new PolicyEvaluator(b.cedar.model), gate: policySetOf(b.files) }));
  return d;
}

/**
 * The decision both ways, in one comparable shape: the DSL oracle, and the shipping gate loaded
 * from the bundle's files (bound to the request's inputs and trusted records, as a run is).
 */
export function decideBoth(b: AgentBundle, req: PolicyRequest) {
  const d = deciders(b);
  const e = d.oracle.decide(req);
  const trusted: Record<string, unknown> = {};
  for (const r of TRUSTED_RECORDS) if (req[r] !== undefined) trusted[r] = req[r];
  const g = d.gate
    .gate({ input: (req.input ?? {}) as Record<string, unknown>, trusted })
    .decide({ action: req.action, args: req.args ?? {}, ...(req.facts ? { facts: req.facts } : {}) });
  return {
    dsl: {
      decision: e.decision,
      approval: e.approval,
      // The rules a person is shown: the approval rules when one applies, else the deciding ones.
      rules: (e.decision === "allow"
        ? e.approval
          ? e.approvals
          : e.permits
        : e.forbids.length
          ? e.forbids
          : [DEFAULT_DENY]
      )
        .slice()
        .sort(),
    },
    cedar: {
      decision: g.decision === "deny" ? ("deny" as const) : ("allow" as const),
      approval: g.decision === "require_approval",
      rules: g.rules,
      errors: g.error ? [g.error] : [],
    },
  };
}

export function errorsOf(out: BuildOutput): string[] {
  return out.diagnostics
    .filter((d) => d.severity === "error")
    .map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`);
}
