#!/usr/bin/env node
/**
 * Puts the data of the model-driven examples where their tool contracts read it:
 *
 *   node examples/prepare.mjs log-triage    → /tmp/symbi-log-triage      (the incident's logs)
 *   node examples/prepare.mjs diff-review   → /tmp/symbi-diff-review     (a git repository: base and change)
 *
 * The tools run in the process sandbox as an unprivileged user in a private working directory,
 * so they read data by absolute path; the contracts fix that path (`[command.defaults] dir`), so
 * the model never chooses where to read and the same run makes the same requests on every
 * machine (which is what lets a recording replay anywhere). The data is built in a temporary
 * folder and renamed into place, so a concurrent run never sees half of it; an existing copy
 * with other content is replaced.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

export const EXAMPLE_DATA = {
  "log-triage": "/tmp/symbi-log-triage",
  "diff-review": "/tmp/symbi-diff-review",
};

/** SHA-256 over the relative paths and contents of the files under `dir` (`.git` left out). */
function treeHash(dir) {
  const h = createHash("sha256");
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      if (name === ".git") continue;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(`${relative(dir, p)}\0`).update(readFileSync(p)).update("\0");
    }
  };
  walk(dir);
  return h.digest("hex");
}

/** Builds `target` with `build(tmp)` unless an identical copy is there; returns the target. */
function install(target, build, identical) {
  if (existsSync(target) && identical(target)) return target;
  const tmp = mkdtempSync(`${target}.tmp-`);
  try {
    build(tmp);
    // mkdtemp makes the folder private; the tools run as an unprivileged user and must read it.
    chmodSync(tmp, 0o755);
    const old = `${target}.old-${process.pid}`;
    if (existsSync(target)) renameSync(target, old);
    renameSync(tmp, target);
    rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(target) && identical(target)) return target; // another run put it there first
    throw e;
  }
  return target;
}

function logTriage() {
  const src = join(here, "log-triage", "logs");
  const want = treeHash(src);
  return install(
    EXAMPLE_DATA["log-triage"],
    (tmp) => cpSync(src, tmp, { recursive: true }),
    (t) => treeHash(t) === want,
  );
}

/** Fixed identities and dates: the same commits (the same hashes) on every machine. */
const GIT_ENV = {
  GIT_AUTHOR_NAME: "Dana Developer",
  GIT_AUTHOR_EMAIL: "dana@example.com",
  GIT_COMMITTER_NAME: "Dana Developer",
  GIT_COMMITTER_EMAIL: "dana@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  HOME: "/nonexistent",
  PATH: process.env.PATH ?? "/usr/bin:/bin",
};

function git(cwd, args, date) {
  execFileSync("git", args, {
    cwd,
    env: { ...GIT_ENV, ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}) },
    stdio: ["ignore", "ignore", "pipe"],
  });
}

function diffReview() {
  const base = join(here, "diff-review", "repo", "base");
  const change = join(here, "diff-review", "repo", "change");
  const want = treeHash(change);
  const head = () => {
    try {
      return execFileSync("git", ["-c", "safe.directory=*", "rev-parse", "base", "change"], {
        cwd: EXAMPLE_DATA["diff-review"],
        env: GIT_ENV,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
    } catch {
      return "";
    }
  };
  return install(
    EXAMPLE_DATA["diff-review"],
    (tmp) => {
      git(tmp, ["init", "--quiet", "--initial-branch=main"]);
      cpSync(base, tmp, { recursive: true });
      git(tmp, ["add", "--all"]);
      git(tmp, ["commit", "--quiet", "-m", "Price calculation with percentage discounts"], "2026-03-02T10:00:00Z");
      git(tmp, ["tag", "base"]);
      for (const name of readdirSync(tmp)) if (name !== ".git") rmSync(join(tmp, name), { recursive: true });
      cpSync(change, tmp, { recursive: true });
      git(tmp, ["add", "--all"]);
      git(tmp, ["commit", "--quiet", "-m", "Coupons: stack a coupon on top of the discount"], "2026-03-03T16:30:00Z");
      git(tmp, ["tag", "change"]);
    },
    (t) => treeHash(t) === want && head() !== "",
  );
}

const PREPARE = { "log-triage": logTriage, "diff-review": diffReview };

/** Prepares one example's data; returns where it is. */
export function prepareExample(name) {
  const f = PREPARE[name];
  if (!f) throw new Error(`unknown example ${JSON.stringify(name)} (known: ${Object.keys(PREPARE).join(", ")})`);
  return f();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const names = process.argv.slice(2);
  if (names.length === 0) {
    process.stderr.write(`usage: node examples/prepare.mjs ${Object.keys(PREPARE).join("|")}...\n`);
    process.exit(1);
  }
  for (const n of names) {
    try {
      process.stdout.write(`${n}: ${prepareExample(n)}\n`);
    } catch (e) {
      process.stderr.write(`prepare: error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    }
  }
}
