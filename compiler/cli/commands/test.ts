/**
 * `symbic test [PATHS...]`: the policy and agent tests in `*.test.toml` files (testing/README.md),
 * decided with the shipping gate on the projects built in memory; rule coverage. Exit codes: 0
 * all passed, 2 a test failed or coverage is below `--min-coverage`, 3 a project or test file
 * does not compile, 1 usage or I/O error. The runtime is loaded only when this command runs.
 */
import type { Command } from "commander";
import { runCommand, useColor } from "../output.js";

export function registerTest(program: Command): void {
  program
    .command("test")
    .description("run the policy and agent tests (*.test.toml) in files or folders (exit 2 when one fails)")
    .argument("[paths...]", "test files or folders to search for *.test.toml (default: the current folder)")
    .option("--format <format>", "pretty | json | junit | github", "pretty")
    .option("--coverage", "print rule coverage per policy")
    .option("--min-coverage <percent>", "fail (exit 2) when fewer than this percentage of the rules decided a case")
    .option("-v, --verbose", "list passing cases too")
    .option(
      "-j, --jobs <n>",
      "threads that decide the policy cases (default: one per 1,000 cases, up to the cores and 8)",
    )
    .action(
      (
        paths: string[],
        opts: { format: string; coverage?: boolean; minCoverage?: string; verbose?: boolean; jobs?: string },
      ) =>
        runCommand(async () => {
          const { testCommand } = await import("../../../testing/command.js");
          return testCommand(paths, {
            ...opts,
            color: { stdout: useColor(process.stdout), stderr: useColor(process.stderr) },
          });
        }),
    );
}
