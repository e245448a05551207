/**
 * Tool contracts the gate tests build agents with: a path tool (NAME is replaced by its name)
 * and a counter with an integer argument; and an agent using them.
 */
import type { CompiledPolicies } from "../../runtime/gate/gate.js";
import { buildText } from "../build/helpers.js";
import type { BuildOutput } from "../../compiler/emit/build.js";

export const PATH_TOOL = `
[tool]
name = "NAME"
description = "reads a file"
binary = "cat"
[args.path]
position = 1
required = true
type = "string"
[command]
template = "cat {path}"
[output]
format = "text"
`;

export const COUNT_TOOL = `
[tool]
name = "count"
description = "counts"
binary = "seq"
[args.n]
position = 1
required = true
type = "integer"
[command]
template = "seq {n}"
[output]
format = "text"
`;

/**
 * An agent whose policies reach every outcome: allows, forbids, a guard on the inputs and on a
 * trusted record, an overflow that fails closed, a derived value (a list's length), approvals
 * and a default deny. `mixedAgentPolicies()` builds it.
 */
export const MIXED_AGENT = `
agent qs(limit: int, tags: List<String>) -> String {
    capabilities = ["wc", "sha", "count"]
    policy tools {
        allow: ["wc", "sha"]
        deny: sha(path) if path.contains("secret")
        deny: wc(path) if user.role != "analyst"
        allow: count(n) if n < limit
        deny: count(n) if n * 1000000000000000 > 5000000000000000
        deny: count(n) if len(tags) > 2
        require: approval for sha
    }
    with sandbox = "process" { return ""; }
}
`;

/** MIXED_AGENT's compiled policy files, as a PolicySet loads them. */
export function mixedAgentPolicies(): CompiledPolicies {
  const out = buildText(MIXED_AGENT, {
    contracts: { wc: PATH_TOOL.replace("NAME", "wc"), sha: PATH_TOOL.replace("NAME", "sha"), count: COUNT_TOOL },
  });
  return compiledPolicies(out);
}

/** The compiled policy files of one agent of a build (the first by default); throws if the build has errors. */
export function compiledPolicies(out: BuildOutput, agent?: string): CompiledPolicies {
  const errors = out.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(`the fixture does not build: ${errors.map((d) => d.message).join("; ")}`);
  const b = agent ? out.bundles.find((x) => x.agent === agent) : out.bundles[0];
  if (!b) throw new Error(`no bundle for ${agent ?? "the first agent"}`);
  const files = b.files;
  return {
    policy: files.get("policy.cedar")!.toString(),
    approval: files.get("approval.cedar")!.toString(),
    schema: files.get("schema.cedarschema.json")!.toString(),
    policiesJson: files.get("policies.json")!.toString(),
  };
}
