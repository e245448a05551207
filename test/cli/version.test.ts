/**
 * `--version` alone prints the version without loading a command's module (loading them all, as
 * help does, took ~0.4 s); with anything after it, the command line is read as usual.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildProgram } from "../../runtime/cli/main.js";
import { VERSION } from "../../compiler/version.js";
import { runCli } from "../helpers/cli.js";

test("symbi --version and -V register no command; --help registers them all", async () => {
  for (const flag of ["--version", "-V"]) assert.is((await buildProgram(["node", "symbi", flag])).commands.length, 0);
  assert.ok((await buildProgram(["node", "symbi", "--help"])).commands.length >= 10);
  assert.equal(
    (await buildProgram(["node", "symbi", "exec", "--version"])).commands.map((c) => c.name()),
    ["exec"],
  );
});

test("symbi --version and symbic --version print the version and exit 0", () => {
  for (const cli of ["symbi", "symbic"] as const) {
    const r = runCli(cli, ["--version"]);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout.trim(), VERSION);
  }
});

test.run();
