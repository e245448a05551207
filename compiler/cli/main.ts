#!/usr/bin/env node
/**
 * `symbic`: the Symbiont compiler. Each command lives in commands/<name>.ts and registers itself
 * here. Exit codes (formats/exit-codes.ts): 0 ok, 1 usage/I-O/internal, 2 test failure,
 * 3 check or validation failure.
 */
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { ExitCode } from "../../formats/exit-codes.js";
import { compileWasmForShortRun } from "../../formats/wasm-tier.js";
import { setSkipReporter } from "../project/files.js";

// A CLI process is short: Cedar's WebAssembly is compiled by the baseline compiler only
// (formats/wasm-tier.ts), set before the commands (and through them cedar-wasm) are imported.
compileWasmForShortRun();
const [
  { registerParse },
  { registerCheck },
  { registerBuild },
  { registerFmt },
  { registerTest },
  { registerExplain },
] = await Promise.all([
  import("./commands/parse.js"),
  import("./commands/check.js"),
  import("./commands/build.js"),
  import("./commands/fmt.js"),
  import("./commands/test.js"),
  import("./commands/explain.js"),
]);

const program = new Command();
program
  .name("symbic")
  .description("Symbiont compiler: check .symbi files, compile policies to Cedar and sandbox settings to manifests")
  .version(VERSION, "-V, --version")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride();

// A dangling or looping link in a project is skipped with a warning (compiler/project/files.ts).
setSkipReporter((s) => process.stderr.write(`symbic: warning: ${s.path}: ${s.reason}; skipped\n`));

registerParse(program);
registerCheck(program);
registerBuild(program);
registerFmt(program);
registerTest(program);
registerExplain(program);

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
