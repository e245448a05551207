#!/usr/bin/env node
/**
 * `symbi`, the runtime CLI (DESIGN §10). Every command lives in its own module under
 * ./commands/ and registers itself: each module exports `register(program)`, and this file
 * loads the modules in that folder (sorted by name), so adding a command means adding a file.
 * A module is named after its command (`commands/exec.ts` registers `exec`): when the command
 * line names one, only that module is loaded, so `symbi audit verify` does not pay for importing
 * the interpreter, Cedar and Docker clients that `exec` needs; help and unknown commands load all.
 */
import { Command } from "commander";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compileWasmForShortRun } from "../../formats/wasm-tier.js";
import { reportError } from "./errors.js";
import { setSkipReporter } from "../../compiler/project/files.js";

export interface CommandModule {
  register(program: Command): void;
}

/**
 * The program with its commands registered (only the one `argv` names, when it names one);
 * exits are thrown (exitOverride) so main() decides the code.
 */
export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command("symbi")
    .description("Symbiont runtime: run compiled agents and keep their signed audit log")
    .version(packageVersion(), "-V, --version")
    .showSuggestionAfterError()
    .exitOverride();
  const here = fileURLToPath(import.meta.url);
  const ext = here.endsWith(".ts") ? ".ts" : ".js";
  const dir = join(dirname(here), "commands");
  const named = argv[2];
  const only = named && /^[a-z][a-z0-9-]*$/.test(named) && existsSync(join(dir, named + ext)) ? named + ext : null;
  const files = only
    ? [only]
    : readdirSync(dir)
        .filter((f) => f.endsWith(ext) && !f.endsWith(".d.ts"))
        .sort();
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as Partial<CommandModule>;
    if (typeof mod.register !== "function") throw new Error(`command module ${f} does not export register(program)`);
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

function packageVersion(): string {
  // package.json is two levels up from runtime/cli (sources) or three from dist/runtime/cli.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "symbiont-toolchain" && pkg.version) return pkg.version;
    } catch {
      /* keep looking upwards */
    }
    dir = dirname(dir);
  }
  return "0.0.0";
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
  // (formats/wasm-tier.ts). Not in main(), which tests call in their own long-lived process.
  compileWasmForShortRun();
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.exitCode = reportError(err);
    },
  );
}
