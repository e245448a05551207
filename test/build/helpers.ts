/** Shared helpers for the build tests: building a project folder in memory, deciding requests both ways. */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildProject, projectPath, type AgentBundle, type BuildOutput } from "../../compiler/emit/build.js";
import { authorizerFor } from "../../compiler/emit/cedar/index.js";
import type { CedarAuthorizer } from "../../compiler/emit/cedar/authorize.js";
import { PolicyEvaluator, type PolicyRequest } from "../../compiler/policy/evaluate.js";
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
  evaluator: PolicyEvaluator;
  cedar: CedarAuthorizer;
}

const cache = new WeakMap<AgentBundle, Both>();
export function deciders(b: AgentBundle): Both {
  let d = cache.get(b);
  if (!d) cache.set(b, (d = { evaluator: new PolicyEvaluator(b.cedar.model), cedar: authorizerFor(b.cedar) }));
  return d;
}

/** The decision both ways, in one comparable shape. */
export function decideBoth(b: AgentBundle, req: PolicyRequest) {
  const d = deciders(b);
  const e = d.evaluator.decide(req);
  const c = d.cedar.authorize(req);
  return {
    dsl: {
      decision: e.decision,
      approval: e.approval,
      rules: (e.decision === "allow" ? e.permits : e.forbids).slice().sort(),
    },
    cedar: { decision: c.decision, approval: c.approval, rules: c.reasons, errors: c.errors },
  };
}

export function errorsOf(out: BuildOutput): string[] {
  return out.diagnostics
    .filter((d) => d.severity === "error")
    .map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`);
}
