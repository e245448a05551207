/**
 * The Cedar shown on hover for a policy rule is what `symbic build` writes for it: the preview
 * (lsp/features/cedar-preview.ts) mirrors the build's analysis inputs, and this test keeps the
 * two in step by building the fixture project and finding each previewed policy in policy.cedar.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { PolicyDef } from "../../grammar/ast.js";
import { Project } from "../../compiler/check/index.js";
import { buildProject } from "../../compiler/emit/build.js";
import { cedarForRule } from "../../lsp/features/cedar-preview.js";
import { makeFixture } from "./fixture.js";

test("each rule's preview is the policy the build emits for it", () => {
  const fx = makeFixture();
  try {
    const files = ["main.symbi", "types.symbi"];
    const project = new Project(fx.dir);
    const texts = new Map(files.map((f) => [f, readFileSync(join(fx.dir, f), "utf8")]));
    for (const [f, t] of texts) project.setFile(f, t);
    const result = project.check();
    const build = buildProject({
      projectDir: fx.dir,
      sources: files.map((f) => ({ file: f, bytes: Buffer.from(texts.get(f)!) })),
    });
    assert.equal(
      build.diagnostics.filter((d) => d.severity === "error"),
      [],
    );
    const bundle = build.bundles.find((b) => b.agent === "scanner")!;
    const policyCedar = bundle.files.get("policy.cedar")!.toString("utf8");

    const agent = result.files.get("main.symbi")!.program.items.find((i) => i.kind === "Agent")!;
    const policy = (agent.kind === "Agent" ? agent.members : []).find((m): m is PolicyDef => m.kind === "Policy")!;
    assert.is(policy.rules.length, 2);
    for (const rule of policy.rules) {
      const preview = cedarForRule(result, rule, (f) => texts.get(f));
      assert.ok(preview, `a preview for the ${rule.verb} rule`);
      const body = preview!.split("\n").slice(1).join("\n");
      assert.ok(
        policyCedar.includes(body),
        `the ${rule.verb} rule's preview is in policy.cedar:\n${body}\n---\n${policyCedar}`,
      );
      assert.match(body, rule.verb === "allow" ? /^@id[\s\S]*permit \(/ : /^@id[\s\S]*forbid \(/);
      assert.match(body, `@dsl("main.symbi:${rule.span.line}:${rule.span.col}")`);
    }
  } finally {
    rmSync(fx.dir, { recursive: true, force: true });
  }
});

test.run();
