#!/usr/bin/env node
/**
 * `symbi`, the runtime CLI (DESIGN §10). Every command lives in its own module under
 * ./commands/ and exports `register(program)`; COMMANDS below names each module, so adding a
 * command means adding a file and its line there (an explicit table rather than a folder scan:
 * the CLI is also bundled, scripts/bundle-clis.mjs, and a bundler follows only imports it can
 * see). When the command line names a command, only its module is loaded, so `symbi audit
 * verify` does not pay for importing the interpreter, Cedar and Docker clients that `exec`
 * needs; help and unknown commands load all, `--version` none.
 */
import { Command } from "commander";
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { setShortRunFlags } from "../../formats/short-run.js";
import { dropWritesToClosedOutput } from "../../formats/closed-output.js";
import { reportError } from "./errors.js";
import { VERSION } from "../../compiler/version.js";
import { setSkipReporter } from "../../compiler/project/files.js";

export interface CommandModule {
  register(program: Command): void;
}

/** Each command's module by command name (`commands/exec.ts` registers `exec`), imported on demand. */
export const COMMANDS: Readonly<Record<string, () => Promise<Partial<CommandModule>>>> = {
  audit: () => import("./commands/audit.js"),
  config: () => import("./commands/config.js"),
  doctor: () => import("./commands/doctor.js"),
  "egress-gateway": () => import("./commands/egress-gateway.js"),
  exec: () => import("./commands/exec.js"),
  keygen: () => import("./commands/keygen.js"),
  sandbox: () => import("./commands/sandbox.js"),
  skills: () => import("./commands/skills.js"),
  "tool-host": () => import("./commands/tool-host.js"),
  tools: () => import("./commands/tools.js"),
};

/**
 * The program with its commands registered (only the one `argv` names, when it names one);
 * exits are thrown (exitOverride) so main() decides the code.
 */
export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command("symbi")
    .description("Symbiont runtime: run compiled agents and keep their signed audit log")
    .version(VERSION, "-V, --version")
    .showSuggestionAfterError()
    .exitOverride();
  const named = argv[2];
  // `symbi --version` alone needs no command (loading them all took ~0.4 s).
  const versionOnly = argv.length === 3 && (named === "--version" || named === "-V");
  const only = versionOnly ? [] : named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : null;
  for (const name of only ?? Object.keys(COMMANDS).sort()) {
    const mod = await COMMANDS[name]!();
    if (typeof mod.register !== "function") throw new Error(`command module ${name} does not export register(program)`);
    mod.register(program);
  }
  // Sub-commands inherit exitOverride so their usage errors come back here too.
  const inherit = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride();
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/** Runs the CLI and returns its exit code. */
export async function main(argv: string[] = process.argv): Promise<number> {
  // A dangling or looping link in a project is skipped with a warning (compiler/project/files.ts).
  setSkipReporter((s) => process.stderr.write(`symbi: warning: ${s.path}: ${s.reason}; skipped\n`));
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    return reportError(err);
  }
}

function invokedDirectly(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  // A CLI process is short: Cedar's WebAssembly is compiled by the baseline compiler only
  // (formats/wasm-tier.ts), and only JavaScript that stays hot is optimised (formats/js-tier.ts).
  // Not in main(), which tests call in their own long-lived process.
  setShortRunFlags();
  dropWritesToClosedOutput();
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.exitCode = reportError(err);
    },
  );
}
