#!/usr/bin/env node
/**
 * `symbic`: the Symbiont compiler. Each command lives in commands/<name>.ts and registers itself
 * here. Exit codes (formats/exit-codes.ts): 0 ok, 1 usage/I-O/internal, 2 test failure,
 * 3 check or validation failure.
 */
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { ExitCode } from "../../formats/exit-codes.js";
import { setShortRunFlags } from "../../formats/short-run.js";
import { dropWritesToClosedOutput } from "../../formats/closed-output.js";
import { setSkipReporter } from "../project/files.js";

// A CLI process is short: Cedar's WebAssembly is compiled by the baseline compiler only
// (formats/wasm-tier.ts), set before the commands (and through them cedar-wasm) are loaded, and
// only JavaScript that stays hot is optimised (formats/js-tier.ts).
setShortRunFlags();
dropWritesToClosedOutput();

type Register = (program: Command) => void;

/**
 * Each command's module, loaded on demand: when the command line names a command, only its module
 * is imported (`symbic check` does not load the formatter, prettier or the test runner); help and
 * unknown commands load them all, `--version` none. The order is the order of `symbic --help`.
 */
const COMMANDS: ReadonlyArray<[string, () => Promise<Register>]> = [
  ["parse", async () => (await import("./commands/parse.js")).registerParse],
  ["check", async () => (await import("./commands/check.js")).registerCheck],
  ["build", async () => (await import("./commands/build.js")).registerBuild],
  ["fmt", async () => (await import("./commands/fmt.js")).registerFmt],
  ["test", async () => (await import("./commands/test.js")).registerTest],
  ["explain", async () => (await import("./commands/explain.js")).registerExplain],
];

/**
 * Registers the commands the command line needs and runs it. A function, not top-level code: the
 * bundled CLI is one CommonJS file (scripts/bundle-clis.mjs), which cannot hold a top-level await.
 */
async function main(): Promise<void> {
  const named = COMMANDS.filter(([name]) => name === process.argv[2]);
  // `symbic --version` alone needs no command (loading them all took ~0.4 s).
  const versionOnly = process.argv.length === 3 && (process.argv[2] === "--version" || process.argv[2] === "-V");
  const registers = versionOnly
    ? []
    : await Promise.all((named.length > 0 ? named : COMMANDS).map(([, load]) => load()));

  const program = new Command();
  program
    .name("symbic")
    .description("Symbiont compiler: check .symbi files, compile policies to Cedar and sandbox settings to manifests")
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  // A dangling or looping link in a project is skipped with a warning (compiler/project/files.ts).
  setSkipReporter((s) => process.stderr.write(`symbic: warning: ${s.path}: ${s.reason}; skipped\n`));

  for (const register of registers) register(program);

  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage errors (already printed by commander) exit 1.
      process.exitCode = e.exitCode === 0 ? ExitCode.Ok : ExitCode.Error;
    } else {
      throw e;
    }
  }
}

void main();
