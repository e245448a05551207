/**
 * `symbic check FILES...`: the front end's checks. Today: syntax. The type checker plugs in
 * here (compiler/check), keeping the same options and exit codes.
 */
import type { Command } from "commander";
import { parseFiles } from "./parse.js";
import { emitDiagnostics, parseFormat, runCommand } from "../output.js";

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description("check files or folders: syntax, names, types and policies (exit 3 on errors)")
    .argument("<paths...>", "source files or folders (.symbi, .dsl)")
    .option("--format <format>", "pretty | json | sarif | github", "pretty")
    .action((paths: string[], opts: { format: string }) =>
      runCommand(() => {
        const format = parseFormat(opts.format);
        const { results, diagnostics } = parseFiles(paths);
        return emitDiagnostics(diagnostics, format, (f) => results.get(f)?.text, results.size);
      }),
    );
}
