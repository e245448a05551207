/**
 * `symbic check PATHS...`: syntax, names, types, policies and `with` settings of the given files
 * or folders (each checked within its project, see compiler/check/check-files.ts). Exit codes:
 * 0 sound (warnings allowed), 3 errors, 1 usage or I/O error.
 */
import type { Command } from "commander";
import { displayFolder, relativeFolder } from "../../project/members.js";
import { checkFiles } from "../../pipeline/check-files.js";
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
        const r = checkFiles(paths);
        // Membership is a security decision (top-level policies govern every agent): say what
        // the project is before what is wrong with it.
        if (format === "pretty")
          for (const p of r.projects) {
            const m = p.members;
            if (!m) continue;
            const from = m.declaredBy
              ? `the folders ${m.folders.map((f) => relativeFolder(m.root, f)).join(", ")} ([project] sources, ${m.declaredBy})`
              : "every folder under the root";
            process.stderr.write(
              `project ${displayFolder(m.root)}: ${m.files.length} source file${m.files.length === 1 ? "" : "s"} from ${from}\n`,
            );
          }
        return emitDiagnostics(r.diagnostics, format, (f) => r.source(f), r.requested);
      }),
    );
}
