/** Paths and small helpers shared by the `symbic test` / `symbic explain` tests. */
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
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
