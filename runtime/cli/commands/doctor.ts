/**
 * `symbi doctor [PATH]`: what works on this machine for the project at PATH (default: the current
 * directory) and what to fix. Exit 0 only when everything the project's agents need is present;
 * 1 otherwise (runtime/doctor). `--model SPEC` checks the model a `symbi exec --model SPEC` would
 * use (a `replay:FILE` recording, or a provider's model).
 */
import { Option, type Command } from "commander";
import { ExitCode, UserError } from "../../../formats/exit-codes.js";
import { renderReport, runDoctor } from "../../doctor/index.js";
import { ExitStatus } from "../errors.js";

export function register(program: Command): void {
  program
    .command("doctor")
    .description(
      "check the machine and the project: Node, configuration, Docker, images, gVisor, keys, audit log, model provider, MCP servers",
    )
    .argument("[path]", "a file or folder of the project (default: the current directory)")
    .addOption(new Option("--format <format>", "output format").choices(["pretty", "json"]).default("pretty"))
    .option(
      "--model <spec>",
      "check the model a run with symbi exec --model SPEC would use: PROVIDER:MODEL, or replay:FILE (the recording must be readable)",
    )
    .addHelpText(
      "after",
      "\nExit codes: 0 everything the project's agents need is present; 1 something failed (see the FAIL lines).",
    )
    .action(async (path: string | undefined, opts: { format: "pretty" | "json"; model?: string }) => {
      const replay = opts.model?.startsWith("replay:") ? opts.model.slice("replay:".length) : undefined;
      if (replay === "") throw new UserError("--model replay:FILE needs the recording's path");
      const report = await runDoctor({
        ...(path !== undefined ? { path } : {}),
        ...(replay !== undefined ? { model: { replay } } : opts.model !== undefined ? { modelFlag: opts.model } : {}),
      });
      if (opts.format === "json") process.stdout.write(JSON.stringify(report, null, 2) + "\n");
      else process.stdout.write(renderReport(report));
      if (!report.ok) throw new ExitStatus(ExitCode.Error);
    });
}
