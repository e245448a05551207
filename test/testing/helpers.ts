/** Paths and small helpers shared by the `symbic test` / `symbic explain` tests. */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as assert from "uvu/assert";
import { parseTestFile } from "../../testing/file.js";
import { loadProject } from "../../testing/project.js";
import { Problems } from "../../testing/resolve.js";
import { prepareCase, type ReadyCase } from "../../testing/run.js";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { REPO } from "../helpers/corpus.js";

/** The fixture project: 7 rules in two policies and a capabilities list (agent.symbi). */
export const SHOP = join(REPO, "test/testing/fixtures/shop");

/** A path as `symbic test` shows it (relative to the working directory). */
export function shown(path: string): string {
  return relative(process.cwd(), path).split("\\").join("/");
}

/** A copy of the shop project without its test files, with `files` written into it. */
export function shopCopy(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "symbic-test-"));
  cpSync(SHOP, dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith(".test.toml")) rmSync(join(dir, f));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Refunds and lookups over the shop's 7 rules: allows, denies, approvals, default denies; `n` rows a case. */
export function generatedShopTests(n: number): string {
  const manager = 'context.user = { role = "manager", region = "eu" }';
  const table = (name: string, tool: string, extra: string[], expect: string, row: (i: number) => string) =>
    [
      "[[case]]",
      `name = "${name}"`,
      `tool = "${tool}"`,
      ...extra,
      `expect = "${expect}"`,
      "rows = [",
      ...Array.from({ length: n }, (_, i) => `  ${row(i)},`),
      "]",
      "",
    ].join("\n");
  return [
    'agent = "shop"\n\n[context]\nuser = { role = "clerk", region = "eu" }\n',
    table("refunds of every size", "refund", [], "allow", (i) => `{ order = "A-${i}", amount = ${1 + (i % 100)} }`),
    table("large refunds by a clerk", "refund", [], "deny", (i) => `{ order = "B-${i}", amount = ${101 + i} }`),
    table("managers' refunds", "refund", [manager], "approval", (i) => `{ order = "C-${i}", amount = ${1001 + i} }`),
    table(
      "managers' refunds, approved",
      "refund",
      [manager, "approve = true"],
      "allow",
      (i) => `{ order = "D-${i}", amount = ${5001 + i} }`,
    ),
    table(
      "embargoed",
      "refund",
      ['context.user = { role = "manager", region = "embargoed" }'],
      "deny",
      (i) => `{ order = "E-${i}", amount = ${1 + i} }`,
    ),
    table("lookups", "lookup", [], "allow", (i) => `{ order = "F-${i}" }`),
  ].join("\n");
}

/** The cases of a generated file in a copy of the shop project, ready to decide. */
export function readyShopCases(n: number): { dir: string; ready: ReadyCase[] } {
  const dir = shopCopy({ "gen.test.toml": generatedShopTests(n) });
  const path = join(dir, "gen.test.toml");
  const parsed = parseTestFile(readFileSync(path, "utf8"), shown(path), path);
  assert.ok(parsed.file, JSON.stringify(parsed.diagnostics));
  const loaded = loadProject(dir);
  if (!loaded.ok) throw new Error(`the shop does not build: ${JSON.stringify(loaded)}`);
  const problems = new Problems(parsed.file);
  const ready = parsed.file.cases.map((c) => prepareCase(c, parsed.file!, loaded.project, problems));
  assert.equal(problems.list, []);
  return { dir, ready: ready as ReadyCase[] };
}
