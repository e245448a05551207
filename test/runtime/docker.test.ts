/**
 * `symbi exec` with the container tiers. Needs a running Docker engine and the local sandbox
 * image (`npm run sandbox:image`); without them every test here is declared with `test.skip`,
 * so the summary counts them as skipped, never as passed.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { DEFAULT_SANDBOX_IMAGE } from "../../formats/sandbox-manifest.js";
import { dockerUnavailable } from "../helpers/docker.js";
import { generateKeyFiles, loadPublicKey } from "../../runtime/audit/keys.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { compileToBundles, execAgent, SandboxSetupError, type Bundle } from "../../runtime/exec/index.js";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const fixtures = join(root, "test/runtime/fixtures/e2e");

const unavailable = await dockerUnavailable();
const dtest = unavailable === null ? test : test.skip;
if (unavailable) console.log(`  symbi exec Docker tests skipped: ${unavailable}`);

const work = mkdtempSync(join(tmpdir(), "symbi-exec-docker-"));
const key = join(work, "k");
generateKeyFiles(key);

let project: Promise<Map<string, Bundle>> | undefined;
async function agent(name: string): Promise<Bundle> {
  project ??= compileToBundles(join(fixtures, "agents", `${name}.symbi`)).then((c) => c.bundles);
  return (await project).get(name)!;
}

dtest("Tier1: the tools run in containers; the denial is caught; all of it is in the verified log", async () => {
  const log = join(work, "tier1.log");
  const r = await execAgent({
    bundle: await agent("containers"),
    input: { name: "Ada", number: 12 },
    auditLog: log,
    keyFile: key,
    onLog: () => {},
  });
  assert.is(r.status, "ok", r.message);
  assert.equal(r.value, { greeting: "Hello, Ada!\n", factors: "12: 2 2 3\n", denied: "containers.rules.2" });
  assert.ok(verifyLog(log, { publicKey: loadPublicKey(`${key}.pub`) }).ok);
  const recs = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; details: Record<string, unknown> });
  const starts = recs.filter((x) => x.type === "tool_start");
  assert.equal(
    starts.map((x) => [x.details.tool, x.details.sandbox, x.details.image]),
    [
      ["greet", "tier1", DEFAULT_SANDBOX_IMAGE],
      ["factor", "tier1", DEFAULT_SANDBOX_IMAGE],
    ],
  );
  assert.ok(
    recs
      .filter((x) => x.type === "tool_end")
      .every((x) => typeof x.details.sandboxId === "string" && (x.details.sandboxId as string).length > 0),
  );
});

dtest("Tier2 without gVisor's runsc: a clear error before anything runs, never a downgrade", async () => {
  const log = join(work, "tier2.log");
  const docker = new Docker();
  const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
  if (info.Runtimes && "runsc" in info.Runtimes) {
    // gVisor is installed here: the run must then really use it.
    const r = await execAgent({ bundle: await agent("gvisor"), input: { name: "Ada" }, onLog: () => {} });
    assert.is(r.status, "ok", r.message);
    return;
  }
  try {
    await execAgent({ bundle: await agent("gvisor"), input: { name: "Ada" }, auditLog: log, keyFile: key });
    assert.unreachable("tier2 must not run without runsc");
  } catch (e) {
    assert.ok(e instanceof SandboxSetupError, String(e));
    assert.match((e as Error).message, /runsc/);
    assert.match((e as Error).message, /never downgraded/);
  }
  assert.not.ok(existsSync(log));
});

dtest("an image that does not exist: one clear line, exit 1, no log", async () => {
  const log = join(work, "ghost.log");
  try {
    await execAgent({ bundle: await agent("ghost"), input: { name: "x" }, auditLog: log, keyFile: key });
    assert.unreachable("must not run");
  } catch (e) {
    assert.ok(e instanceof SandboxSetupError, String(e));
    assert.is((e as SandboxSetupError).exitCode, 1);
    assert.match((e as Error).message, /symbi-no-such-image:0 is not present/);
    assert.not.ok((e as Error).message.includes("\n"));
  }
  assert.not.ok(existsSync(log));
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
