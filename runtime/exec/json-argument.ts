/**
 * `--input` / `--context` values: JSON text, or `@FILE` to read the JSON from a file (`@-` reads
 * standard input). Unreadable files are I/O errors (exit 1); text that is not JSON is a
 * validation failure (exit 3), reported with the option's name.
 */
import { ExitCode } from "../../formats/exit-codes.js";
import { readBounded, formatSize, type BoundedReadError } from "../../formats/bounded-read.js";

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
      // Bounded: `@/dev/zero` or `@/dev/urandom` end at the limit instead of never.
      text = readBounded(path, MAX_JSON_ARGUMENT_BYTES).toString("utf8");
    } catch (e) {
      const code = (e as BoundedReadError).code;
      throw new JsonArgumentError(
        code === "TOO_LARGE"
          ? `${source}: the file is larger than ${formatSize(MAX_JSON_ARGUMENT_BYTES)}`
          : `${source}: cannot read ${path === "-" ? "standard input" : path} (${code === "ENOENT" ? "no such file" : code})`,
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
