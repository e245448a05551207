/**
 * `--input` / `--context` values: JSON text, or `@FILE` to read the JSON from a file (`@-` reads
 * standard input). Unreadable files are I/O errors (exit 1); text that is not JSON is a
 * validation failure (exit 3), reported with the option's name.
 */
import { readFileSync } from "node:fs";
import { ExitCode } from "../../formats/exit-codes.js";

export class JsonArgumentError extends Error {
  override readonly name = "JsonArgumentError";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Largest JSON argument read from a file (inputs are data for an agent, not bulk storage). */
export const MAX_JSON_ARGUMENT_BYTES = 16 * 1024 * 1024;

export function readJsonArgument(option: string, value: string): unknown {
  let text = value;
  let source = option;
  if (value.startsWith("@")) {
    const path = value.slice(1);
    source = `${option} ${value}`;
    try {
      const buf = readFileSync(path === "-" ? 0 : path);
      if (buf.length > MAX_JSON_ARGUMENT_BYTES)
        throw new JsonArgumentError(
          `${source}: the file is larger than ${MAX_JSON_ARGUMENT_BYTES / 1048576} MiB`,
          ExitCode.Error,
        );
      text = buf.toString("utf8");
    } catch (e) {
      if (e instanceof JsonArgumentError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new JsonArgumentError(
        `${source}: cannot read ${path === "-" ? "standard input" : path} (${code === "ENOENT" ? "no such file" : (code ?? (e as Error).message)})`,
        ExitCode.Error,
      );
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new JsonArgumentError(`${source} is not valid JSON: ${(e as Error).message}`, ExitCode.CheckFailed);
  }
}
