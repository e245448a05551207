/**
 * `symbi config show [PATH]`: the effective configuration (config/) for the project at PATH
 * (default: the current directory) — every key, its value and where it came from (flag,
 * environment, operator file, project file, default); secrets are never printed. An invalid
 * configuration is reported like everywhere else: every problem at its place, exit 3.
 */
import { Option, type Command } from "commander";
import { renderConfig, showConfig } from "../../../config/index.js";
import { commandConfig } from "../settings.js";

export function register(program: Command): void {
  const config = program
    .command("config")
    .description("show the effective configuration and where each value comes from");
  config
    .command("show")
    .description(
      "print every configuration key with its value and source (flags > environment > operator file > project file > defaults)",
    )
    .argument("[path]", "a file or folder of the project whose symbi.toml applies (default: the current directory)")
    .addOption(new Option("--format <format>", "output format").choices(["pretty", "json"]).default("pretty"))
    .action((path: string | undefined, opts: { format: "pretty" | "json" }) => {
      const c = commandConfig(path);
      if (opts.format === "json") process.stdout.write(JSON.stringify(showConfig(c), null, 2) + "\n");
      else process.stdout.write(renderConfig(c));
    });
}
