/**
 * Signed bundles (issue 11 item 5): `symbic build --sign` and the trust check of `symbi exec`.
 * Each attack of the adversarial review — edit a bundle file and recompute the hashes in
 * bundle.json — is refused before anything runs; files the runtime needs are never optional;
 * a broken sibling bundle stops only a run that needs it; the audit log names the key that
 * signed what ran.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import canonicalizeImport from "canonicalize";
import { buildProject } from "../../compiler/emit/build.js";
import { writeBundle } from "../../compiler/emit/bundle.js";
import { generateKeyFiles, keyIdOf, loadPrivateKey, loadPublicKey } from "../../formats/keys.js";
import { BUNDLE_SIGNATURE_FILE, signBundle, type TrustedKey } from "../../formats/bundle-signature.js";
import { execAgent, resolveTarget, type ExecOptions } from "../../runtime/exec/index.js";
import { BundleError } from "../../formats/bundle.js";
import type { TrustPolicy } from "../../runtime/exec/trust.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { symbi } from "../helpers/symbi.js";
import { rejects } from "./helpers.js";

const canonicalize = canonicalizeImport as unknown as (v: unknown) => string;
const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const fixtures = join(root, "test/runtime/fixtures/e2e");
const work = mkdtempSync(join(tmpdir(), "symbi-trust-test-"));
const releaseKey = join(work, "release.key");
const otherKey = join(work, "other.key");
const auditKey = join(work, "audit.key");
generateKeyFiles(releaseKey);
generateKeyFiles(otherKey);
generateKeyFiles(auditKey);
const trusted: TrustedKey = (() => {
  const key = loadPublicKey(`${releaseKey}.pub`);
  return { keyId: keyIdOf(key), key, source: `--trust ${releaseKey}.pub` };
})();
const TRUST: TrustPolicy = { keys: [trusted] };
const silent: ExecOptions["onLog"] = () => {};

/** The whole fixture project, compiled once. */
const built = (() => {
  const sources = ["e2e", "uncaught", "containers", "team", "helpers"].map((n) => ({
    file: `agents/${n}.symbi`,
    bytes: readFileSync(join(fixtures, "agents", `${n}.symbi`)),
  }));
  const out = buildProject({ projectDir: fixtures, sources });
  if (out.bundles.length === 0) throw new Error("the fixture project did not build");
  return out.bundles;
})();

let folders = 0;
/** Writes every agent's bundle to a fresh build folder, signed with `key` (or unsigned). */
function buildFolder(key: string | null = releaseKey): string {
  const out = join(work, `build-${++folders}`);
  const priv = key ? loadPrivateKey(key) : null;
  for (const b of built) {
    const files = new Map(b.files);
    if (priv) files.set(BUNDLE_SIGNATURE_FILE, Buffer.from(signBundle(files.get("bundle.json")!, priv)));
    writeBundle(out, b.agent, files);
  }
  return out;
}

/** An attacker's edit: change (or delete) a file and recompute bundle.json's hashes, as the review did. */
function tamper(dir: string, file: string, change: ((text: string) => string) | "delete"): void {
  const path = join(dir, file);
  const manifest = JSON.parse(readFileSync(join(dir, "bundle.json"), "utf8")) as { files: Record<string, string> };
  if (change === "delete") {
    unlinkSync(path);
    delete manifest.files[file];
  } else {
    const text = change(readFileSync(path, "utf8"));
    writeFileSync(path, text);
    manifest.files[file] = createHashHex(text);
  }
  writeFileSync(join(dir, "bundle.json"), canonicalize(manifest) + "\n");
}

function createHashHex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Re-signs a bundle folder's bundle.json with `key` (what the holder of a trusted key could do). */
function resign(dir: string, key: string): void {
  const sig = signBundle(readFileSync(join(dir, "bundle.json")), loadPrivateKey(key));
  writeFileSync(join(dir, BUNDLE_SIGNATURE_FILE), sig);
}

async function run(dir: string, input: unknown, o: Partial<ExecOptions> = {}) {
  const t = await resolveTarget(dir, undefined);
  return execAgent({ bundle: t.bundle, peers: t.peers, input, trust: TRUST, onLog: silent, ...o });
}

/** Refused with a BundleError (exit 3) whose message matches, and no audit log was started. */
async function refused(dir: string, input: unknown, pattern: RegExp, o: Partial<ExecOptions> = {}): Promise<void> {
  const log = join(work, `refused-${folders}-${Math.random().toString(36).slice(2)}.log`);
  await rejects(
    (async () => {
      const t = await resolveTarget(dir, undefined);
      return execAgent({
        bundle: t.bundle,
        peers: t.peers,
        input,
        trust: TRUST,
        onLog: silent,
        auditLog: log,
        keyFile: auditKey,
        ...o,
      });
    })(),
    (e) => e instanceof BundleError && e.exitCode === 3 && pattern.test(e.message) && !e.message.includes("\n"),
    String(pattern),
  );
  assert.not.ok(existsSync(log), "nothing was written to the audit log");
}

const Attacks = suite("issue 11 item 5: edited bundles with recomputed hashes are refused");

Attacks("baseline: the signed bundle runs, and the same denial holds", async () => {
  const dir = join(buildFolder(), "uncaught");
  const ok = await run(dir, { number: 12 });
  assert.is(ok.status, "ok", ok.message);
  const denied = await run(dir, { number: 5000 });
  assert.is(denied.status, "denied");
});

Attacks("flipping forbid to permit in policy.cedar and recomputing the hashes is refused", async () => {
  const dir = join(buildFolder(), "uncaught");
  tamper(dir, "policy.cedar", (t) => {
    assert.match(t, /forbid/);
    return t.replaceAll("forbid", "permit");
  });
  await refused(dir, { number: 5000 }, /bundle\.sig signs another bundle\.json/);
  // A bad signature is tampering, not a missing signature: --allow-unsigned does not let it run.
  await refused(dir, { number: 5000 }, /signs another bundle\.json/, { trust: { ...TRUST, allowUnsigned: "test" } });
  // Without the signature the edited bundle is merely unsigned, and refused as such.
  unlinkSync(join(dir, BUNDLE_SIGNATURE_FILE));
  await refused(dir, { number: 5000 }, /is not signed: sign it with `symbic build --sign KEYFILE`/);
});

Attacks("pointing a contract at /bin/cat and recomputing the hashes is refused", async () => {
  const dir = join(buildFolder(), "uncaught");
  tamper(dir, "tools/factor.clad.toml", (t) =>
    t
      .replace('binary = "factor"', 'binary = "cat"')
      .replace('template = "factor {n}"', 'template = "cat /etc/hostname"'),
  );
  await refused(dir, { number: 12 }, /signs another bundle\.json/);
});

Attacks("changing the sandbox tier to process and recomputing the hashes is refused", async () => {
  const dir = join(buildFolder(), "containers");
  tamper(dir, "sandbox/0.json", (t) => {
    const m = JSON.parse(t) as Record<string, unknown>;
    assert.is(m.tier, "tier1");
    return JSON.stringify({ ...m, tier: "process", runtime: null, image: null });
  });
  await refused(dir, { name: "Ada", number: 1 }, /signs another bundle\.json/);
});

for (const file of ["policies.json", "schema.cedarschema.json", "approval.cedar"]) {
  Attacks(
    `deleting ${file} is an error, never a weaker mode — even unsigned-allowed or re-signed by a trusted key`,
    async () => {
      const dir = join(buildFolder(), "uncaught");
      tamper(dir, file, "delete");
      const missing = new RegExp(`has no ${file.replace(".", "\\.")}, which every bundle must hold`);
      // Signed before the edit, re-signed after it by the trusted key, unsigned: the file is required.
      await refused(dir, { number: 5000 }, missing);
      resign(dir, releaseKey);
      await refused(dir, { number: 5000 }, missing);
      unlinkSync(join(dir, BUNDLE_SIGNATURE_FILE));
      await refused(dir, { number: 5000 }, missing, { trust: { keys: [], allowUnsigned: "test" } });
    },
  );
}

const Trust = suite("bundle signatures: trusted keys, unsigned bundles, the audit record");

Trust("a bundle signed by a key nobody trusts is refused, naming the key", async () => {
  const dir = join(buildFolder(otherKey), "uncaught");
  const otherId = keyIdOf(loadPublicKey(`${otherKey}.pub`));
  await refused(dir, { number: 12 }, new RegExp(`signed by key ${otherId.slice(0, 16)}…, which is not trusted`));
  await refused(dir, { number: 12 }, /no key is trusted/, { trust: { keys: [] } });
});

Trust("a signature moved from another bundle, a forged signature and a malformed bundle.sig are refused", async () => {
  const build = buildFolder();
  const dir = join(build, "uncaught");
  writeFileSync(join(dir, BUNDLE_SIGNATURE_FILE), readFileSync(join(build, "e2e", BUNDLE_SIGNATURE_FILE)));
  await refused(dir, { number: 12 }, /signs another bundle\.json/);
  // Claims the trusted key id, signed by another key.
  const forged = JSON.parse(signBundle(readFileSync(join(dir, "bundle.json")), loadPrivateKey(otherKey))) as Record<
    string,
    string
  >;
  writeFileSync(join(dir, BUNDLE_SIGNATURE_FILE), JSON.stringify({ ...forged, keyId: trusted.keyId }));
  await refused(dir, { number: 12 }, /does not verify with the trusted key/);
  writeFileSync(join(dir, BUNDLE_SIGNATURE_FILE), "{ not json");
  await refused(dir, { number: 12 }, /bundle\.sig is not a bundle signature: it is not JSON/);
  writeFileSync(join(dir, BUNDLE_SIGNATURE_FILE), JSON.stringify({ ...forged, extra: 1 }));
  await refused(dir, { number: 12 }, /unknown field "extra"/);
});

Trust("an unsigned bundle runs only when allowed, and the audit log records who allowed it", async () => {
  const dir = join(buildFolder(null), "uncaught");
  await refused(dir, { number: 12 }, /is not signed/);
  const log = join(work, "unsigned.log");
  const warnings: string[] = [];
  const r = await run(
    dir,
    { number: 12 },
    {
      trust: { keys: [], allowUnsigned: "--allow-unsigned" },
      auditLog: log,
      keyFile: auditKey,
      onWarning: (m) => warnings.push(m),
    },
  );
  assert.is(r.status, "ok", r.message);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /running UNSIGNED bundle .*allowed by --allow-unsigned/);
  assert.ok(verifyLog(log, { publicKey: loadPublicKey(`${auditKey}.pub`) }).ok);
  const start = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; details: Record<string, unknown> })
    .find((x) => x.type === "run_start")!;
  assert.equal(start.details.trust, { status: "unsigned", allowedBy: "--allow-unsigned" });
});

Trust("the audit log records which key signed the bundle that ran (and each peer's)", async () => {
  const build = buildFolder();
  const log = join(work, "signed.log");
  const r = await run(join(build, "lead"), { who: "Ada" }, { auditLog: log, keyFile: auditKey });
  assert.is(r.status, "ok", r.message);
  const starts = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; agent: string; details: Record<string, unknown> })
    .filter((x) => x.type === "run_start");
  assert.equal(
    starts.map((s) => [s.agent, s.details.trust]),
    [
      ["lead", { status: "signed", keyId: trusted.keyId, trustedBy: trusted.source }],
      ["helper", { status: "signed", keyId: trusted.keyId, trustedBy: trusted.source }],
    ],
  );
});

Trust("a .symbi file compiled in memory needs no signature; the log records its sources' hashes", async () => {
  const log = join(work, "compiled.log");
  const t = await resolveTarget(join(fixtures, "agents", "uncaught.symbi"), undefined);
  const r = await execAgent({
    bundle: t.bundle,
    input: { number: 12 },
    onLog: silent,
    auditLog: log,
    keyFile: auditKey,
  });
  assert.is(r.status, "ok", r.message);
  const start = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map(
      (l) =>
        JSON.parse(l) as { type: string; details: { trust: { status: string; sources: Array<{ path: string }> } } },
    )
    .find((x) => x.type === "run_start")!;
  assert.is(start.details.trust.status, "compiled");
  assert.ok(start.details.trust.sources.some((s) => s.path === "agents/uncaught.symbi"));
});

Trust("a broken sibling bundle in the build folder no longer stops an unrelated run", async () => {
  const build = buildFolder();
  writeFileSync(join(build, "e2e", "policy.cedar"), "permit(principal, action, resource);\n");
  writeFileSync(join(build, "helper", "bundle.json"), "{ broken");
  const ok = await run(join(build, "uncaught"), { number: 12 });
  assert.is(ok.status, "ok", ok.message);
  // Through the build folder too (the agent chosen by name).
  const t = await resolveTarget(build, "uncaught");
  const again = await execAgent({
    bundle: t.bundle,
    peers: t.peers,
    input: { number: 12 },
    trust: TRUST,
    onLog: silent,
  });
  assert.is(again.status, "ok", again.message);
  // A run that needs the broken sibling gets an error naming it.
  const lead = await run(join(build, "lead"), { who: "Ada" });
  assert.is(lead.status, "error");
  assert.match(lead.message!, /cannot run agent `helper`: .*helper.*bundle\.json is not valid JSON/);
});

Trust("bundle.json may not list bundle.sig", async () => {
  const dir = join(buildFolder(), "uncaught");
  const m = JSON.parse(readFileSync(join(dir, "bundle.json"), "utf8")) as { files: Record<string, string> };
  m.files[BUNDLE_SIGNATURE_FILE] = createHashHex(readFileSync(join(dir, BUNDLE_SIGNATURE_FILE), "utf8"));
  writeFileSync(join(dir, "bundle.json"), canonicalize(m) + "\n");
  await refused(dir, { number: 12 }, /lists bundle\.sig, which only a signature may be/);
});

Trust("symbi exec --trust / --allow-unsigned and symbic build --sign, through the CLIs", async () => {
  const build = buildFolder();
  const dir = join(build, "uncaught");
  const ok = await symbi("exec", dir, "--trust", `${releaseKey}.pub`, "--input", '{"number": 6}', "--compact");
  assert.is(ok.code, 0, ok.stderr);
  assert.is(ok.stderr, "");
  const untrusted = await symbi("exec", dir, "--input", '{"number": 6}');
  assert.is(untrusted.code, 3);
  assert.match(untrusted.stderr, /^symbi: error: .*signed by key .*which is not trusted/);
  const badTrust = await symbi("exec", dir, "--trust", releaseKey, "--input", '{"number": 6}');
  assert.is(badTrust.code, 1);
  assert.match(badTrust.stderr, /is a private key; pass the public key file/);
  unlinkSync(join(dir, BUNDLE_SIGNATURE_FILE));
  const loud = await symbi("exec", dir, "--allow-unsigned", "--input", '{"number": 6}', "--compact");
  assert.is(loud.code, 0, loud.stderr);
  assert.match(loud.stderr, /^symbi: warning: running UNSIGNED bundle/);
});

Trust.after(() => rmSync(work, { recursive: true, force: true }));
for (const s of [Attacks, Trust]) s.run();
