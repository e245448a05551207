/**
 * `symbic fmt FILES|DIRS`: formats Symbiont sources in the house style (docs/style.md) through
 * the same prettier plugin editors load (compiler/format).
 *
 * - default: prints the formatted text of every file to stdout;
 * - `--write`: rewrites files that change, in place (atomically: temp file + rename);
 * - `--check`: lists the files that would change and exits 3 (CI); nothing is written;
 * - `--diff`: prints a unified diff per file that would change and exits 3 if any would.
 *
 * A file with syntax errors (or invalid UTF-8) is reported with the parser's diagnostics, left
 * untouched, and makes the exit code 3; the other files are still processed. If the formatter's
 * self-check fails (E0701/E0702) the file is left untouched and the exit code is 1.
 */
import { accessSync, chmodSync, constants, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Command } from "commander";
import { createTwoFilesPatch } from "diff";
import { collectSourceFiles, displayPath, readSourceBytes } from "../../project/files.js";
import { formatBytes, notFormattedDiagnostic } from "../../format/format.js";
import { emitDiagnostics, parseFormat, runCommand } from "../output.js";
import { UserError } from "../../../formats/exit-codes.js";
import { ExitCode } from "../../../formats/exit-codes.js";
import type { Diagnostic } from "../../diagnostics/model.js";

interface FmtOptions {
  write?: boolean;
  check?: boolean;
  diff?: boolean;
  format: string;
}

type Mode = "print" | "write" | "check" | "diff";

function modeOf(opts: FmtOptions): Mode {
  const chosen = (["write", "check", "diff"] as const).filter((m) => opts[m]);
  if (chosen.length > 1) throw new UserError(`--${chosen.join(" and --")} cannot be combined`);
  return chosen[0] ?? "print";
}

/** Replaces a file's content atomically, keeping its mode: a crash never leaves half a file. */
function writeAtomically(path: string, content: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.symbic-fmt-${process.pid}.tmp`);
  try {
    // A read-only file stays read-only: renaming over it would bypass its permissions.
    accessSync(path, constants.W_OK);
    const mode = statSync(path).mode & 0o7777;
    writeFileSync(tmp, content, { encoding: "utf8", mode });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file was never created
    }
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot write file${code ? ` (${code})` : ""}`);
  }
}

export function registerFmt(program: Command): void {
  program
    .command("fmt")
    .description("format files or folders in the house style (prints to stdout unless --write, --check or --diff)")
    .argument("<paths...>", "source files or folders (.symbi, .dsl)")
    .option("--write", "rewrite the files that change, in place")
    .option("--check", "list the files that are not formatted; exit 3 if any (nothing is written)")
    .option("--diff", "show a unified diff of what would change; exit 3 if anything would")
    .option("--format <format>", "diagnostics format: pretty | json | sarif | github", "pretty")
    .action((paths: string[], opts: FmtOptions) =>
      runCommand(async () => {
        const mode = modeOf(opts);
        const format = parseFormat(opts.format);
        const files = collectSourceFiles(paths);

        const diagnostics: Diagnostic[] = [];
        const sources = new Map<string, string>();
        const unformatted: string[] = [];
        let internalFailure = false;
        let written = 0;

        for (const file of files) {
          const bytes = readSourceBytes(file);
          const shown = displayPath(file);
          const result = await formatBytes(bytes, shown);
          // The text diagnostics point into: decoded, without a BOM (grammar/index.ts).
          const source = Buffer.from(bytes).toString("utf8");
          sources.set(shown, source.startsWith("\uFEFF") ? source.slice(1) : source);
          if (!result.ok) {
            diagnostics.push(...result.diagnostics);
            if (result.reason === "internal") internalFailure = true;
            continue;
          }
          switch (mode) {
            case "print":
              process.stdout.write(result.output);
              break;
            case "write":
              if (result.changed) {
                writeAtomically(file, result.output);
                written++;
              }
              break;
            case "check":
              if (result.changed) {
                unformatted.push(shown);
                if (format !== "pretty") diagnostics.push(notFormattedDiagnostic(shown, source, result.output));
              }
              break;
            case "diff":
              if (result.changed) {
                unformatted.push(shown);
                process.stdout.write(createTwoFilesPatch(`a/${shown}`, `b/${shown}`, source, result.output));
              }
              break;
          }
        }

        if (mode === "check" && format === "pretty") for (const f of unformatted) process.stdout.write(`${f}\n`);
        const diagCode = emitDiagnostics(diagnostics, format, (f) => sources.get(f), files.length, {
          quietSummary: true,
        });
        if (format === "pretty") {
          const bad = new Set(diagnostics.filter((d) => d.code !== "E0700").map((d) => d.file)).size;
          const parts: string[] = [];
          if (mode === "write")
            parts.push(`${written} of ${files.length} file${files.length === 1 ? "" : "s"} reformatted`);
          if (mode === "check" || mode === "diff") {
            parts.push(
              unformatted.length === 0
                ? `all ${files.length} file${files.length === 1 ? "" : "s"} formatted`
                : `${unformatted.length} of ${files.length} file${files.length === 1 ? "" : "s"} not formatted (run \`symbic fmt --write\`)`,
            );
          }
          if (bad > 0) parts.push(`${bad} file${bad === 1 ? "" : "s"} could not be formatted`);
          if (parts.length > 0 && (mode !== "print" || bad > 0)) process.stderr.write(`${parts.join("; ")}\n`);
        }

        if (internalFailure) return ExitCode.Error;
        if (diagCode !== ExitCode.Ok || unformatted.length > 0) return ExitCode.CheckFailed;
        return ExitCode.Ok;
      }),
    );
}
