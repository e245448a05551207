/** `symbic build --runtime-image`: the image the Kubernetes Jobs run, checked as a reference and pinned by digest. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { imageDigestOf, isImageReference } from "../../formats/images.js";
import { runCli } from "../helpers/cli.js";

const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

test("image references: registry, port, path, tag, digest; nothing else", () => {
  for (const ok of [
    "symbi-runtime:1",
    "registry.example.com:5000/team/symbi-runtime:1.2",
    `registry.example.com/symbi-runtime@${DIGEST}`,
    `symbi-runtime:1@${DIGEST}`,
    "localhost/symbi__runtime",
  ])
    assert.ok(isImageReference(ok), ok);
  for (const bad of [
    "",
    "Symbi-Runtime:1",
    "symbi-runtime:",
    "symbi runtime",
    "symbi-runtime@sha256:abc",
    "-runtime",
    "a//b",
    `x:${"t".repeat(129)}`,
    "symbi-runtime:1;rm -rf /",
  ])
    assert.not.ok(isImageReference(bad), bad);
  assert.is(imageDigestOf(`registry.example.com/symbi-runtime@${DIGEST}`), DIGEST);
  assert.is(imageDigestOf("symbi-runtime:1"), null);
});

test("symbic build --runtime-image puts the pinned image into every container of the Job", () => {
  const out = mkdtempSync(join(tmpdir(), "symbic-image-"));
  try {
    const image = `registry.example.com/symbi-runtime@${DIGEST}`;
    const r = runCli("symbic", ["build", "examples/kubernetes/agent.symbi", "--out", out, "--runtime-image", image]);
    assert.is(r.status, 0, r.stderr);
    const yaml = readFileSync(join(out, "text_report", "k8s", "0.yaml"), "utf8");
    assert.is(yaml.split(`image: ${image}`).length - 1, 3);
    assert.not.match(yaml, /image: symbi-runtime:1/);
    const bad = runCli("symbic", [
      "build",
      "examples/kubernetes/agent.symbi",
      "--out",
      out,
      "--runtime-image",
      "Bad Image",
    ]);
    assert.is(bad.status, 1);
    assert.match(bad.stderr, /^symbic: --runtime-image "Bad Image" is not an image reference/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
