/**
 * Faithfulness: for each example agent, thousands of random requests (tool, argument values,
 * facts, inputs, trusted context) are decided twice — by cedar-wasm on the compiled policies, and
 * by evaluating the DSL rules directly (compiler/policy/evaluate.ts). Any disagreement, in the
 * decision or in whether an approval is needed, fails the test and prints the request.
 *
 * Values are drawn from the types the policies read, mixed with the literals the guards compare
 * against (so guards are often true), absent attributes, and wrong-typed values for optional ones
 * (which both sides must treat as absent). Arguments and inputs are well-formed, as the runtime
 * validates them before the gate.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { collectSourceFiles } from "../../compiler/project/files.js";
import type { Expr } from "../../grammar/ast.js";
import { walk } from "../../grammar/index.js";
import type { AgentBundle } from "../../compiler/emit/build.js";
import type { PolicyRequest } from "../../runtime/gate/request.js";
import { shapeOf } from "../../compiler/policy/shape.js";
import type { Shape } from "../../formats/policies-json.js";
import { slotKey } from "../../compiler/policy/model.js";
import { TRUSTED_RECORDS } from "../../stdlib/trusted-records.js";
import { ROOT, buildDir, decideBoth, errorsOf } from "./helpers.js";
import { corpusMissing, referenceProject, withoutRefusedAuditSettings } from "../helpers/corpus.js";

interface Pools {
  strings: string[];
  ints: number[];
}

function pools(b: AgentBundle): Pools {
  const strings = new Set<string>([
    "",
    "x",
    "admin",
    "https://a.example/x",
    "a.exe",
    "localhost",
    "ev*l",
    "\\",
    'a"b*c',
    "\n*",
  ]);
  const ints = new Set<number>([0, 1, -1, 2, 3, 10, 100, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 31]);
  const m = b.cedar.model;
  for (const l of m.levels) strings.add(l);
  const visit = (e: Expr | undefined) => {
    if (!e) return;
    walk(e, (n) => {
      if (n.kind === "String") {
        strings.add(n.value);
        strings.add(n.value + "z");
        strings.add("z" + n.value);
      } else if (n.kind === "Number" && !n.isFloat) {
        for (const d of [-1, 0, 1]) ints.add(n.value + d);
        ints.add(-n.value);
      } else if (n.kind === "Duration") {
        for (const d of [-1, 0, 1]) ints.add(n.millis + d);
      }
    });
  };
  for (const r of m.rules) {
    visit(r.guard?.expr);
    visit(r.condition?.expr);
    for (const c of r.match.constraints) {
      if (typeof c.value === "string") strings.add(c.value);
      else if (typeof c.value === "number") ints.add(c.value);
    }
  }
  return { strings: [...strings], ints: [...ints] };
}

const WRONG = fc.constantFrom<unknown>(7, "zz", true, [], {}, 1.5);

function arb(s: Shape, p: Pools, depth = 0): fc.Arbitrary<unknown> {
  switch (s.type) {
    case "String":
      return fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...p.strings) },
        { weight: 1, arbitrary: fc.string({ maxLength: 5 }) },
      );
    case "Long":
      return fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...p.ints) },
        { weight: 1, arbitrary: fc.integer({ min: -50, max: 50 }) },
      );
    case "Boolean":
      // Mostly true: guards and requirements are conjunctions of flags.
      return fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
    case "Set":
      return fc.array(arb(s.element, p, depth + 1), { maxLength: depth > 2 ? 1 : 4 });
    case "Record": {
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, a] of Object.entries(s.attributes)) {
        // Optional attributes: usually present, sometimes absent, rarely of the wrong type.
        model[k] =
          a.required === false
            ? fc.oneof(
                { weight: 16, arbitrary: arb(a, p, depth + 1) },
                { weight: 2, arbitrary: fc.constant(undefined) },
                { weight: 1, arbitrary: WRONG },
              )
            : arb(a, p, depth + 1);
      }
      return fc.record(model).map(dropUndefined);
    }
  }
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

/** Optional part of a request: mostly present, sometimes absent, rarely not even a record. */
function maybe(a: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 12, arbitrary: a },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(5) },
  );
}

function requests(b: AgentBundle): fc.Arbitrary<PolicyRequest> {
  const p = pools(b);
  const m = b.cedar.model;
  const inputShape: Shape = { type: "Record", attributes: {} };
  for (const [name, param] of m.params) {
    const t = param.node.concrete;
    if (t?.k === "Unsupported") continue;
    inputShape.attributes[name] = { ...shapeOf(param.node), required: !param.optional };
  }
  const actions = [...b.catalog.actions.keys(), "no_such_tool"];
  return fc.constantFrom(...actions).chain((action) => {
    const info = b.catalog.actions.get(action);
    const args: Record<string, fc.Arbitrary<unknown>> = {};
    const requiredArgs: string[] = [];
    const facts: Record<string, fc.Arbitrary<unknown>> = {};
    for (const a of info?.args ?? []) {
      args[a.name] =
        a.type === "String"
          ? arb({ type: "String" }, p)
          : a.type === "Long"
            ? arb({ type: "Long" }, p)
            : a.type === "Bool"
              ? fc.boolean()
              : fc.double({ noNaN: true, min: -10, max: 10 });
      if (a.always) requiredArgs.push(a.name);
      const fn = m.factNodes.get(slotKey(action, a.name));
      if (fn)
        facts[a.name] = fc.oneof(
          { weight: 8, arbitrary: arb(shapeOf(fn), p) },
          { weight: 1, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: WRONG },
        );
    }
    const parts: Record<string, fc.Arbitrary<unknown>> = {
      action: fc.constant(action),
      args: fc.record(args, { requiredKeys: requiredArgs }),
      input: arb(inputShape, p),
      facts: maybe(fc.record(facts).map(dropUndefined)),
    };
    for (const r of TRUSTED_RECORDS) parts[r] = maybe(arb(shapeOf(m.trusted[r]), p));
    return fc.record(parts).map((r) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = v;
      return out as unknown as PolicyRequest;
    });
  });
}

function checkAgent(b: AgentBundle, numRuns: number, seed: number): { allow: number; deny: number; approval: number } {
  const seen = { allow: 0, deny: 0, approval: 0 };
  fc.assert(
    fc.property(requests(b), (req) => {
      const r = decideBoth(b, req);
      if (r.dsl.decision !== r.cedar.decision || r.dsl.approval !== r.cedar.approval) {
        throw new Error(
          `agent ${b.agent}: Cedar says ${JSON.stringify(r.cedar)}, the DSL rules say ${JSON.stringify(r.dsl)}\nrequest: ${JSON.stringify(req)}`,
        );
      }
      seen[r.dsl.decision]++;
      if (r.dsl.approval) seen.approval++;
    }),
    { numRuns, seed, endOnFailure: false },
  );
  return seen;
}

// `check: false`: the comparison is about the emitter; the checker's findings on these projects
// are pinned elsewhere (seed.test.ts), and the emitter's own errors still fail the build.
const projects: Array<{ name: string; dir: string; runs: number }> = [
  { name: "seed policies", dir: join(ROOT, "examples/seed-policies"), runs: 2000 },
  { name: "seed policies verbatim, with facts", dir: join(ROOT, "test/build/fixtures/seed-facts"), runs: 1000 },
  { name: "guard forms", dir: join(ROOT, "test/build/fixtures/guards"), runs: 2500 },
];

function checkBundles(bundles: AgentBundle[], runs: number, expectAllows: boolean): void {
  let seed = 20261125;
  for (const b of bundles) {
    const seen = checkAgent(b, runs, seed++);
    // The generator must reach both outcomes, or the comparison proves little.
    assert.ok(seen.deny > 0, `${b.agent}: some requests are denied`);
    if (expectAllows) assert.ok(seen.allow >= runs / 200, `${b.agent}: enough requests are allowed (${seen.allow})`);
  }
}

for (const proj of projects) {
  test(`faithfulness: ${proj.name}`, () => {
    const out = buildDir(proj.dir, { check: false });
    assert.equal(
      errorsOf(out).filter((e) => e.startsWith("E06")),
      [],
      "the emitter compiles every policy",
    );
    assert.ok(out.bundles.length > 0);
    checkBundles(out.bundles, proj.runs, true);
  });
}

// The corpus agents (the reference project assembled from ../shared): every file the checker
// accepts must compile, and its agents' decisions must agree. Files the checker still rejects
// are skipped here (their errors are the checker's to report). Audit settings decide nothing, so
// the ones symbi refuses (E0311: `alert_on_*`, `include_<item>` the log has no field for) are
// blanked in a copy first — line for line — to keep those agents' decisions under test.
const REFERENCE = referenceProject();
if (corpusMissing) console.log(`  faithfulness on the reference agents skipped: ${corpusMissing}`);
if (REFERENCE) {
  test("faithfulness: reference agents the checker accepts", () => {
    const copy = join(mkdtempSync(join(tmpdir(), "symbi-faithful-")), "reference-project");
    cpSync(REFERENCE, copy, { recursive: true });
    let built = 0;
    for (const f of collectSourceFiles([join(copy, "agents")])) {
      writeFileSync(f, withoutRefusedAuditSettings(readFileSync(f, "utf8")));
      const out = buildDir(copy, { sub: relative(copy, f) });
      const errs = errorsOf(out);
      if (errs.some((e) => !e.startsWith("E06"))) continue;
      assert.equal(errs, [], `${relative(copy, f)} compiles`);
      checkBundles(out.bundles, 1000, false);
      built += out.bundles.length;
    }
    assert.ok(built >= 4, `${built} reference agents checked`);
  });
} else test.skip("faithfulness: reference agents the checker accepts", () => {});

test.run();
