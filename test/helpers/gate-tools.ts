/**
 * Tool contracts the gate tests build agents with: a path tool (NAME is replaced by its name)
 * and a counter with an integer argument.
 */
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
