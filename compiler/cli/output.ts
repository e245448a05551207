/**
 * Shared CLI plumbing for `symbic`: diagnostic output in the chosen format, colour detection,
 * and user errors that end the process with a documented exit code and one clear line.
 */
import { renderDiagnostics, summaryLine, DIAGNOSTIC_FORMATS, type DiagnosticFormat } from "../diagnostics/render.js";
import type { Diagnostic } from "../diagnostics/model.js";
import { hasErrors } from "../diagnostics/model.js";
import { capDiagnostics } from "../../grammar/diagnostic-cap.js";
import { ExitCode, UserError } from "../../formats/exit-codes.js";
import { VERSION } from "../version.js";
import { FileError } from "../project/files.js";

export function parseFormat(value: string): DiagnosticFormat {
  if ((DIAGNOSTIC_FORMATS as readonly string[]).includes(value)) return value as DiagnosticFormat;
  throw new UserError(`unknown --format '${value}' (expected one of: ${DIAGNOSTIC_FORMATS.join(", ")})`);
}

export function useColor(stream: NodeJS.WriteStream): boolean {
  if (process.env["NO_COLOR"] !== undefined) return false;
  if (process.env["FORCE_COLOR"] !== undefined && process.env["FORCE_COLOR"] !== "0") return true;
  return stream.isTTY === true;
}

/**
 * Prints diagnostics (sorted) and returns the exit code they imply: 3 when any is an error.
 * Pretty output goes to stderr with a summary line; machine formats go to stdout.
 */
export function emitDiagnostics(
  diags: Diagnostic[],
  format: DiagnosticFormat,
  sources: (file: string) => string | undefined,
  fileCount: number,
  opts: { quietSummary?: boolean } = {},
): number {
  // Sorted, and at most MAX_DIAGNOSTICS_PER_FILE per file whoever produced them.
  const sorted = capDiagnostics(diags);
  if (format === "pretty") {
    const text = renderDiagnostics("pretty", sorted, sources, {
      color: useColor(process.stderr),
      toolVersion: VERSION,
    });
    if (text) process.stderr.write(text);
    if (!opts.quietSummary && sorted.length > 0) process.stderr.write(summaryLine(sorted, fileCount) + "\n");
  } else {
    process.stdout.write(renderDiagnostics(format, sorted, sources, { toolVersion: VERSION }));
  }
  // E09xx: the checker itself failed on a file (reported there, the rest still checked): exit 1.
  if (sorted.some((d) => d.code.startsWith("E09"))) return ExitCode.Error;
  return hasErrors(sorted) ? ExitCode.CheckFailed : ExitCode.Ok;
}

/** Runs a command body, turning user errors into one line on stderr and their exit code. */
export async function runCommand(body: () => Promise<number> | number): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (e) {
    if (e instanceof UserError) {
      process.stderr.write(`symbic: ${e.message}\n`);
      process.exitCode = e.exitCode;
    } else if (e instanceof FileError) {
      // A path that cannot be found or read: an I/O error, one line, exit 1 (for every command).
      process.stderr.write(`symbic: ${e.message}\n`);
      process.exitCode = ExitCode.Error;
    } else {
      const msg = e instanceof Error ? e.message : String(e);
      process.stderr.write(
        `symbic: internal error: ${msg}\n(please report this with the input that caused it; set SYMBI_DEBUG=1 for a stack trace)\n`,
      );
      if (process.env["SYMBI_DEBUG"]) process.stderr.write(`${(e as Error).stack}\n`);
      process.exitCode = ExitCode.Error;
    }
  }
}
