/** A tool contract whose binary echoes its one argument: the tests see exactly what the tool received. */
export function echoTool(o: { name: string; arg?: string; type?: string; risk?: string }): string {
  const { name, arg = "value", type = "string", risk = "low" } = o;
  return `
[tool]
name = "${name}"
version = "1.0.0"
binary = "echo"
description = "prints its argument"
timeout_seconds = 10
risk_tier = "${risk}"

[args.${arg}]
position = 1
required = true
type = "${type}"
description = "the value"

[command]
template = "echo {${arg}}"

[output]
format = "text"
envelope = false
`;
}
