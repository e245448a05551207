/**
 * `symbi doctor [PATH]`: what works on this machine for the project at PATH (default: the current
 * directory) and what to fix. Exit 0 only when everything the project's agents need is present;
 * 1 otherwise (runtime/doctor).
 */
import { Option, type Command } from "commander";
import { ExitCode } from "../../../formats/exit-codes.js";
import { renderReport, runDoctor } from "../../doctor/index.js";
import { ExitStatus } from "../errors.js";

export function register(program: Command): void {
  program
    .command("doctor")
    .description("check the machine and the project: Node, configuration, Docker, images, gVisor, keys, audit log")
    .argument("[path]", "a file or folder of the project (default: the current directory)")
    .addOption(new Option("--format <format>", "output format").choices(["pretty", "json"]).default("pretty"))
    .addHelpText(
      "after",
      "\nExit codes: 0 everything the project's agents need is present; 1 something failed (see the FAIL lines).",
    )
    .action(async (path: string | undefined, opts: { format: "pretty" | "json" }) => {
      const report = await runDoctor(path !== undefined ? { path } : {});
      if (opts.format === "json") process.stdout.write(JSON.stringify(report, null, 2) + "\n");
      else process.stdout.write(renderReport(report));
      if (!report.ok) throw new ExitStatus(ExitCode.Error);
    });
}
