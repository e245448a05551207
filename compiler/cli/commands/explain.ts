/**
 * `symbic explain FILE.test.toml[:LINE]`: one test case decided by the shipping gate and
 * explained rule by rule — which rules matched, which did not and why (the guard term that was
 * false or unknown), with DSL file:line. Exit 0 (whatever the decision), 3 when the project or
 * the test file does not compile, 1 usage or I/O error.
 */
import type { Command } from "commander";
import { runCommand, useColor } from "../output.js";

export function registerExplain(program: Command): void {
  program
    .command("explain")
    .description("explain the decision of one test case: every rule, matched or not, and why")
    .argument("<case>", "a test file and the line of the case (or of one of its rows): FILE.test.toml:LINE")
    .option("--format <format>", "pretty | json", "pretty")
    .action((target: string, opts: { format: string }) =>
      runCommand(async () => {
        const { explainCommand } = await import("../../../testing/command.js");
        return explainCommand(target, { format: opts.format, color: useColor(process.stdout) });
      }),
    );
}
