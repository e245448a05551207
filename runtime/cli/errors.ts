/**
 * How `symbi` commands fail: one clear line on stderr and a documented exit code
 * (formats/exit-codes.ts), never a stack trace for something the user can fix.
 *
 * Convention shared by every command (and the libraries they call): an Error that carries a
 * numeric `exitCode` property is user-facing — its message is the whole story. `UserError` is
 * the plain one for commands; library errors such as AuditError follow the same shape, so this
 * handler needs no list of them. Anything else is a bug and is reported as an internal error
 * (stack trace only with SYMBI_DEBUG=1).
 */
import { CommanderError } from "commander";
import { ExitCode } from "../../formats/exit-codes.js";

/** Thrown by a command that has already printed its outcome and only needs to set the exit code (e.g. a failed verification). */
export class ExitStatus extends Error {
  override readonly name = "ExitStatus";
  constructor(readonly exitCode: number) {
    super(`exit status ${exitCode}`);
  }
}

export function isUserFacing(err: unknown): err is Error & { exitCode: number } {
  return (
    err instanceof Error &&
    typeof (err as { exitCode?: unknown }).exitCode === "number" &&
    !(err instanceof CommanderError)
  );
}

/** Prints `err` the way the CLI promises and returns the exit code to use. */
export function reportError(
  err: unknown,
  program = "symbi",
  write: (line: string) => void = (l) => process.stderr.write(l),
): number {
  if (err instanceof ExitStatus) return err.exitCode;
  if (err instanceof CommanderError) {
    // Commander has already printed its message (or the help/version text) and chosen 0 or 1.
    return err.exitCode === ExitCode.Ok ? ExitCode.Ok : ExitCode.Error;
  }
  if (isUserFacing(err)) {
    // An error with several problems (ConfigError) prints one error line per problem.
    const lines = (err as { lines?: unknown }).lines;
    if (Array.isArray(lines) && lines.length > 0 && lines.every((l) => typeof l === "string"))
      for (const l of lines) write(`${program}: error: ${oneLine(l)}\n`);
    else write(`${program}: error: ${oneLine(err.message)}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  write(
    `${program}: internal error: ${oneLine(message)}${process.env.SYMBI_DEBUG ? "" : " (set SYMBI_DEBUG=1 for a stack trace)"}\n`,
  );
  if (process.env.SYMBI_DEBUG && err instanceof Error && err.stack) write(err.stack + "\n");
  return ExitCode.Error;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}
