/**
 * Rule coverage: which DSL rules decided at least one case. The rules are those of every agent
 * of the tested projects (policies.json: allow, deny, require, approval, capabilities, contract
 * approvals); a top-level policy governs several agents under one id and location and counts
 * once. A rule is covered when it is among the rules a decision named (the deciding rules: the
 * forbids of a deny, the permits of an allow, the approval policies of an approval).
 */
import type { PolicyEntry } from "../formats/policies-json.js";
import type { TestedProject } from "./project.js";
import { displayLocation } from "./resolve.js";

export interface CoveredRule {
  id: string;
  /** The policy the rule belongs to (`quickstart.tools`, `secure_data_access`, `quickstart.capabilities`). */
  policy: string;
  verb: string;
  text: string;
  /** Where it is, relative to the working directory. */
  location: string;
  /** Cases it decided. */
  hits: number;
}

export interface PolicyCoverage {
  policy: string;
  rules: number;
  covered: number;
}

export interface Coverage {
  rules: CoveredRule[];
  policies: PolicyCoverage[];
  total: number;
  covered: number;
  /** Percent of rules covered (100 when there are none). */
  percent: number;
}

/**
 * The policy a rule belongs to, as its id names it: `quickstart.tools.2` → `quickstart.tools`,
 * `secure_data_access.2.0` (a requirement's second condition) → `secure_data_access`;
 * `capabilities` ids are their own policy.
 */
export function policyOf(e: Pick<PolicyEntry, "id" | "verb" | "policy">): string {
  if (e.verb === "capabilities") return e.id;
  const at = e.id.startsWith(`${e.policy}.`) ? 0 : e.id.indexOf(`.${e.policy}.`) + 1;
  if (at > 0 || e.id.startsWith(`${e.policy}.`)) return e.id.slice(0, at + e.policy.length);
  const i = e.id.lastIndexOf(".");
  return i > 0 ? e.id.slice(0, i) : e.id;
}

export class CoverageCounter {
  private readonly rules = new Map<string, CoveredRule>();
  /** project dir → agent → rule id → key. */
  private readonly keys = new Map<string, Map<string, Map<string, string>>>();

  /** Registers every rule of every agent of a project. */
  addProject(p: TestedProject): void {
    const perAgent = new Map<string, Map<string, string>>();
    this.keys.set(p.dir, perAgent);
    for (const [agent, compiled] of p.compiled) {
      const ids = new Map<string, string>();
      perAgent.set(agent, ids);
      for (const e of compiled.cedar.policiesJson?.policies ?? []) {
        const location = displayLocation(p.dir, `${e.file}:${e.line}:${e.col}`);
        const key = `${location}\u0000${e.id}`;
        ids.set(e.id, key);
        if (!this.rules.has(key))
          this.rules.set(key, { id: e.id, policy: policyOf(e), verb: e.verb, text: e.text, location, hits: 0 });
      }
    }
  }

  /** Counts a decision's rules. */
  hit(projectDir: string, agent: string, ruleIds: readonly string[]): void {
    const ids = this.keys.get(projectDir)?.get(agent);
    if (!ids) return;
    for (const id of new Set(ruleIds)) {
      const key = ids.get(id);
      if (key) this.rules.get(key)!.hits++;
    }
  }

  result(): Coverage {
    const rules = [...this.rules.values()].sort((a, b) =>
      a.location === b.location ? (a.id < b.id ? -1 : 1) : compareLocations(a.location, b.location),
    );
    const by = new Map<string, PolicyCoverage>();
    for (const r of rules) {
      let p = by.get(r.policy);
      if (!p) by.set(r.policy, (p = { policy: r.policy, rules: 0, covered: 0 }));
      p.rules++;
      if (r.hits > 0) p.covered++;
    }
    const covered = rules.filter((r) => r.hits > 0).length;
    return {
      rules,
      policies: [...by.values()].sort((a, b) => (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0)),
      total: rules.length,
      covered,
      percent: rules.length === 0 ? 100 : (100 * covered) / rules.length,
    };
  }
}

/** `file:line:col` ordered by file, then numerically by line and column. */
export function compareLocations(a: string, b: string): number {
  const pa = /^(.*):(\d+):(\d+)$/.exec(a);
  const pb = /^(.*):(\d+):(\d+)$/.exec(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  if (pa[1] !== pb[1]) return pa[1]! < pb[1]! ? -1 : 1;
  return Number(pa[2]) - Number(pb[2]) || Number(pa[3]) - Number(pb[3]);
}
