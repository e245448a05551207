/**
 * `symbic parse FILE...`: syntax check; `--format json` prints the AST instead of nothing.
 */
import type { Command } from "commander";
import { parseBytes, type ParseResult } from "../../../grammar/index.js";
import { collectSourceFiles, readSourceBytes, displayPath } from "../../project/files.js";
import { emitDiagnostics, parseFormat, runCommand } from "../output.js";
import { ExitCode } from "../../../formats/exit-codes.js";
import type { Diagnostic } from "../../diagnostics/model.js";

/** Parses every file; shared by `parse` and by `check` until the checker takes over. */
export function parseFiles(paths: string[]): { results: Map<string, ParseResult>; diagnostics: Diagnostic[] } {
  // A missing or unreadable path throws FileError: runCommand prints it as one line, exit 1.
  const files = collectSourceFiles(paths);
  const results = new Map<string, ParseResult>();
  const diagnostics: Diagnostic[] = [];
  for (const f of files) {
    const bytes = readSourceBytes(f);
    const shown = displayPath(f);
    const r = parseBytes(bytes, shown);
    results.set(shown, r);
    diagnostics.push(...r.diagnostics);
  }
  return { results, diagnostics };
}

export function registerParse(program: Command): void {
  program
    .command("parse")
    .description("parse files and report syntax errors (exit 3 when there are any)")
    .argument("<files...>", "source files or folders (.symbi, .dsl)")
    .option("--format <format>", "pretty | json (prints the AST) | sarif | github", "pretty")
    .action((paths: string[], opts: { format: string }) =>
      runCommand(() => {
        const asAst = opts.format === "json";
        const format = asAst ? "pretty" : parseFormat(opts.format);
        const { results, diagnostics } = parseFiles(paths);
        if (asAst) {
          const out: Record<string, unknown> = {};
          for (const [file, r] of results) out[file] = { ast: r.program, diagnostics: r.diagnostics };
          process.stdout.write(JSON.stringify(results.size === 1 ? [...Object.values(out)][0] : out, null, 2) + "\n");
          return diagnostics.some((d) => d.severity === "error") ? ExitCode.CheckFailed : ExitCode.Ok;
        }
        return emitDiagnostics(diagnostics, format, (f) => results.get(f)?.text, results.size);
      }),
    );
}
