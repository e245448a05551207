/** Small tool contracts for in-memory builds. */
export function tool(
  name: string,
  opts: { args?: string; groups?: string[]; network?: string[]; approval?: boolean } = {},
): string {
  return `[tool]
name = "${name}"
version = "1.0.0"
binary = "echo"
description = "test tool ${name}"
timeout_seconds = 10
risk_tier = "low"
${opts.approval ? "human_approval = true\n" : ""}${opts.groups ? `\n[tool.policy]\ngroups = [${opts.groups.map((g) => `"${g}"`).join(", ")}]\n` : ""}${opts.network ? `\n[tool.sandbox]\nnetwork = [${opts.network.map((n) => `"${n}"`).join(", ")}]\n` : ""}
${
  opts.args ??
  `[args.target]
position = 1
required = true
type = "string"
description = "target"`
}

[command]
exec = ["echo", "${name}"]

[output]
format = "text"
envelope = true

[output.schema]
type = "object"

[output.schema.properties.raw_output]
type = "string"
`;
}

export const FETCH = tool("fetch", {
  args: `[args.url]
position = 1
required = true
type = "url"
description = "url"

[args.retries]
position = 2
required = false
type = "integer"
description = "retries"`,
});
