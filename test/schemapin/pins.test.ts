/**
 * The TOFU trust store: pin on first use, changed key refused with both fingerprints, unpin,
 * configurable location, and safety: writes are atomic (a process killed mid-write never loses
 * an existing pin or leaves a torn file), concurrent writers keep each other's pins, and a
 * damaged store is an error — never treated as empty and never overwritten.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SchemaPinError, TrustStoreError } from "../../schemapin/errors.js";
import { TrustStore, defaultTrustStorePath } from "../../schemapin/pins.js";
import { REPO } from "../helpers/corpus.js";
import { tempDir } from "./helpers.js";

const tmp = tempDir();
test.after(() => tmp.cleanup());
const fpA = `sha256:${"a".repeat(64)}`;
const fpB = `sha256:${"b".repeat(64)}`;

function runWriter(path: string, prefix: string, count: number) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(REPO, "test/schemapin/pin-writer.ts"), path, prefix, String(count)],
    {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const exited = new Promise<{ code: number | null; out: string; err: string }>((r) =>
    child.on("close", (code) => r({ code, out, err })),
  );
  return { child, exited };
}

test("first use pins; the same key again is 'pinned'; a new process reads the pin back from the file", () => {
  const path = join(tmp.dir, "a", "nested", "store.json");
  const s = new TrustStore(path);
  assert.is(s.checkAndPin("Example.com", "lookup", fpA, "Example"), "first-use");
  assert.is(s.checkAndPin("example.com", "lookup", fpA), "pinned");
  const again = new TrustStore(path);
  assert.is(again.pinnedKey("EXAMPLE.COM", "lookup")?.fingerprint, fpA);
  assert.is(statSync(path).mode & 0o077, 0, "the store is private (0600)");
});

test("a changed key is KEY_PIN_MISMATCH naming the old and new fingerprints; the pin stays", () => {
  const s = new TrustStore(join(tmp.dir, "changed.json"));
  s.checkAndPin("example.com", "lookup", fpA);
  try {
    s.checkAndPin("example.com", "lookup", fpB);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, SchemaPinError);
    assert.is((err as SchemaPinError).code, "KEY_PIN_MISMATCH");
    assert.ok((err as Error).message.includes(fpA) && (err as Error).message.includes(fpB));
  }
  assert.is(new TrustStore(join(tmp.dir, "changed.json")).pinnedKey("example.com", "lookup")?.fingerprint, fpA);
});

test("pins are per tool; unpin removes one and keeps the others", () => {
  const s = new TrustStore(join(tmp.dir, "unpin.json"));
  s.checkAndPin("example.com", "a", fpA);
  s.checkAndPin("example.com", "b", fpB);
  assert.ok(s.unpin("example.com", "a"));
  assert.not.ok(s.unpin("example.com", "a"));
  assert.is(s.checkAndPin("example.com", "a", fpB), "first-use");
  assert.is(new TrustStore(join(tmp.dir, "unpin.json")).listKeys().length, 2);
});

test("the location is configurable: SYMBI_TRUST_STORE, else ~/.symbi/trust-store.json", () => {
  assert.is(defaultTrustStorePath({ SYMBI_TRUST_STORE: "/srv/pins.json" }), "/srv/pins.json");
  assert.match(defaultTrustStorePath({}), /\.symbi\/trust-store\.json$/);
});

test("a damaged store is an error (never empty, never overwritten)", () => {
  const path = join(tmp.dir, "damaged.json");
  writeFileSync(path, '{"format":"symbi-schemapin-trust-store/1","keys":[{"domain":"x"');
  try {
    new TrustStore(path);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, TrustStoreError);
    assert.match((err as Error).message, /damaged/);
  }
  assert.ok(readFileSync(path, "utf8").endsWith('"x"'), "left as it was");
});

test("leftovers of a crashed writer (temp file, stale lock) do not lose pins or block writers", () => {
  const path = join(tmp.dir, "leftover.json");
  const s = new TrustStore(path);
  s.checkAndPin("example.com", "kept", fpA);
  writeFileSync(`${path}.lock`, "");
  utimesSync(`${path}.lock`, new Date(0), new Date(0));
  writeFileSync(join(tmp.dir, ".leftover.json.999.dead.tmp"), '{"torn');
  const s2 = new TrustStore(path);
  assert.is(s2.checkAndPin("example.com", "new", fpB), "first-use");
  assert.is(new TrustStore(path).pinnedKey("example.com", "kept")?.fingerprint, fpA);
  assert.not.ok(existsSync(`${path}.lock`));
});

test("a writer killed (SIGKILL) in the middle of pinning never loses an existing pin nor tears the file", async () => {
  const path = join(tmp.dir, "killed.json");
  new TrustStore(path).checkAndPin("example.com", "existing", fpA);
  const w = runWriter(path, "k", 100000);
  await new Promise((r) => setTimeout(r, 900));
  w.child.kill("SIGKILL");
  await w.exited;
  const after = new TrustStore(path); // parses: not torn
  assert.is(after.pinnedKey("example.com", "existing")?.fingerprint, fpA);
  assert.ok(after.listKeys().length >= 1);
});

test("two processes pinning at the same time keep all of each other's pins", async () => {
  const path = join(tmp.dir, "race.json");
  const a = runWriter(path, "a", 25);
  const b = runWriter(path, "b", 25);
  const [ra, rb] = await Promise.all([a.exited, b.exited]);
  assert.is(ra.code, 0, ra.err);
  assert.is(rb.code, 0, rb.err);
  assert.is(new TrustStore(path).listKeys().length, 50);
  assert.equal(
    readdirSync(tmp.dir).filter((f) => f.startsWith(".race.json")),
    [],
    "no temp files left",
  );
});

test.run();
