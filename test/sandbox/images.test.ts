/**
 * The images of `npm run runtime:image`, used through the real Docker sandbox: the tool image
 * holds real command-line tools, the runtime image holds `symbi` on Node ≥ 20.19, and a run that
 * uses an image records the image's id (a digest of its content), not only its tag. Needs Docker
 * and both images; otherwise every test here is skipped, visibly.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { DEFAULT_RUNTIME_IMAGE, TOOLS_IMAGE } from "../../formats/images.js";
import { defaultSandboxManifest } from "../../formats/sandbox-manifest.js";
import { generateKeyFiles, loadPublicKey } from "../../runtime/audit/keys.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { compileToBundles, execAgent } from "../../runtime/exec/index.js";
import { DockerSandbox } from "../../runtime/sandbox/index.js";
import { REPO } from "../helpers/corpus.js";
import { dockerUnavailable } from "../helpers/docker.js";

const docker = new Docker();
async function imagesUnavailable(): Promise<string | null> {
  const why = await dockerUnavailable(docker);
  if (why) return why;
  for (const image of [TOOLS_IMAGE, DEFAULT_RUNTIME_IMAGE]) {
    try {
      await docker.getImage(image).inspect();
    } catch {
      return `image ${image} missing (npm run runtime:image)`;
    }
  }
  return null;
}
const unavailable = await imagesUnavailable();
const itest = unavailable === null ? test : test.skip;
if (unavailable) console.log(`  image tests skipped: ${unavailable}`);

function sandbox(image: string): DockerSandbox {
  return new DockerSandbox(defaultSandboxManifest({ agent: "images", tier: "tier1", image }), { docker });
}

itest("the tool image holds real tools: git, grep, sed, awk, jq, curl, wget, coreutils", async () => {
  const script = [
    "git --version",
    "grep --version | head -1",
    "sed --version | head -1",
    "awk --version | head -1",
    "jq --version",
    "curl --version | head -1",
    "wget --version | head -1",
    "sha256sum --version | head -1",
    // Real work, not only versions: a repository, a commit, a JSON transformation.
    "cd /tmp && git init -q r && cd r && git -c user.name=t -c user.email=t@t commit -q --allow-empty -m first && git log --format=%s",
    `echo '{"a":[1,2,3]}' | jq -c '.a | map(. * 2)'`,
  ].join(" && ");
  const r = await sandbox(TOOLS_IMAGE).run({ argv: ["sh", "-c", script] });
  assert.is(r.exitCode, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.match(lines[0]!, /^git version 2\./);
  assert.match(lines[1]!, /GNU grep/);
  assert.match(lines[2]!, /GNU sed/);
  assert.match(lines[3]!, /GNU Awk/);
  assert.match(lines[4]!, /^jq-1\./);
  assert.match(lines[5]!, /^curl /);
  assert.match(lines[6]!, /GNU Wget/);
  assert.match(lines[7]!, /GNU coreutils/);
  assert.equal(lines.slice(8), ["first", "[2,4,6]"]);
});

itest("the runtime image holds symbi on Node 20.19 or newer", async () => {
  const s = sandbox(DEFAULT_RUNTIME_IMAGE);
  const node = await s.run({ argv: ["node", "--version"] });
  const [major, minor] = node.stdout.trim().slice(1).split(".").map(Number) as [number, number];
  assert.ok(major > 20 || (major === 20 && minor >= 19), node.stdout);
  const version = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).version as string;
  const symbi = await s.run({ argv: ["symbi", "--version"] });
  assert.is(symbi.stdout.trim(), version, symbi.stderr);
});

itest("examples/kubernetes runs in Docker; the audit log records the tool image's id", async () => {
  const work = mkdtempSync(join(tmpdir(), "symbi-images-"));
  try {
    const key = join(work, "k");
    generateKeyFiles(key);
    const log = join(work, "audit.log");
    const bundle = (await compileToBundles(join(REPO, "examples/kubernetes/agent.symbi"))).bundles.get("text_report")!;
    const r = await execAgent({ bundle, input: { text: "a b a" }, auditLog: log, keyFile: key, onLog: () => {} });
    assert.is(r.status, "ok", r.message);
    assert.equal((r.value as { stats: unknown }).stats, { words: 3, characters: 5 });
    assert.ok(verifyLog(log, { publicKey: loadPublicKey(`${key}.pub`) }).ok);
    const id = ((await docker.getImage(TOOLS_IMAGE).inspect()) as { Id: string }).Id;
    const starts = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; details: Record<string, unknown> })
      .filter((x) => x.type === "tool_start");
    assert.ok(starts.length >= 2);
    for (const s of starts) {
      assert.is(s.details.image, TOOLS_IMAGE);
      assert.is(s.details.imageId, id);
      assert.match(String(s.details.imageId), /^sha256:[a-f0-9]{64}$/);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
