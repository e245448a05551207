/**
 * The gate's decision cache (runtime/gate/decision-cache.ts): a remembered decision is the one
 * Cedar gives (property test: a cached and an uncached PolicySet agree on random request
 * sequences with repeats, with a cache large and small enough to evict), a caller changing a
 * decision cannot change later answers, large requests are not remembered, the least recently
 * used decision goes first, and every decision of a run is still audited.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PolicySet, type GateRequest, type RunContext } from "../../runtime/gate/index.js";
import { DecisionCache, MAX_CACHED_CHARS, MAX_KEY_CHARS } from "../../runtime/gate/decision-cache.js";
import { compileToBundles, execAgent } from "../../runtime/exec/index.js";
import { generateKeyFiles, loadPublicKey } from "../../runtime/audit/keys.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { mixedAgentPolicies } from "../helpers/gate-tools.js";

const parts = mixedAgentPolicies();

const arbRun: fc.Arbitrary<RunContext> = fc.record({
  input: fc.record({
    limit: fc.integer({ min: -2, max: 6 }),
    tags: fc.array(fc.constantFrom("a", "b", "c"), { maxLength: 4 }),
  }),
  trusted: fc.option(fc.record({ user: fc.record({ role: fc.constantFrom("analyst", "intern", 7) }) }), {
    nil: undefined,
  }) as fc.Arbitrary<Record<string, unknown> | undefined>,
}) as fc.Arbitrary<RunContext>;

const arbRequest: fc.Arbitrary<GateRequest> = fc.oneof(
  fc.record({
    action: fc.constantFrom("wc", "sha"),
    args: fc.record({ path: fc.oneof(fc.constantFrom("a.txt", "secret", "my-secret.md", ""), fc.integer()) }),
  }),
  fc.record({
    action: fc.constant("count"),
    args: fc.record({
      n: fc.oneof(
        fc.integer({ min: -3, max: 8 }),
        fc.constantFrom(2 ** 40, 2 ** 53 - 1, -(2 ** 40)),
        fc.double({ noNaN: true }),
      ),
    }),
  }),
  fc.record({ action: fc.constantFrom("rm", "invoke_tool"), args: fc.constant({}) }),
) as fc.Arbitrary<GateRequest>;

test("cached decisions equal Cedar's on random request sequences with repeats (property)", () => {
  // One of each for the whole property: the caches carry decisions from one sequence to the next.
  const uncached = PolicySet.load(parts, { decisionCacheEntries: 0 });
  const cached = PolicySet.load(parts);
  const evicting = PolicySet.load(parts, { decisionCacheEntries: 2 });
  fc.assert(
    fc.property(
      fc.array(arbRun, { minLength: 1, maxLength: 3 }),
      fc.array(arbRequest, { minLength: 1, maxLength: 6 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 30 }),
      (runs, requests, picks) => {
        const gates = runs.map((r) => [uncached.gate(r), cached.gate(r), evicting.gate(r)] as const);
        for (const [g, r] of picks) {
          const [u, c, e] = gates[g % gates.length]!;
          const req = requests[r % requests.length]!;
          const want = u.decide(req);
          assert.equal(c.decide(req), want);
          assert.equal(e.decide(req), want);
        }
        assert.ok(evicting.decisions.size <= 2, "the cache keeps at most its capacity");
      },
    ),
    { numRuns: 100, seed: 1613 },
  );
  assert.is(uncached.decisions.hits, 0, "capacity 0 never answers from the cache");
  // The property is only worth something if repeats were answered from the cache.
  assert.ok(cached.decisions.hits > 100, `the cache answered repeats (${cached.decisions.hits} hits)`);
  assert.ok(evicting.decisions.hits > 0, `the small cache answered some repeats (${evicting.decisions.hits} hits)`);
});

test("a caller changing a decision does not change the next answer", () => {
  const gate = PolicySet.load(parts).gate({ input: { limit: 3, tags: [] }, trusted: { user: { role: "analyst" } } });
  const req = { action: "sha", args: { path: "ok.txt" } };
  const first = gate.decide(req);
  assert.is(first.decision, "require_approval");
  const original = structuredClone(first);
  first.decision = "allow";
  first.rules.push("forged");
  first.locations.length = 0;
  first.allowedBy!.push("forged");
  assert.equal(gate.decide(req), original);
  const again = gate.decide(req);
  again.rules[0] = "forged";
  assert.equal(gate.decide(req), original);
});

test("a request larger than the key limit is decided every time, not remembered", () => {
  const set = PolicySet.load(parts);
  const gate = set.gate({ input: { limit: 3, tags: [] }, trusted: { user: { role: "analyst" } } });
  // sha's rules read its path (wc's do not: the gate leaves an unread path out of the request).
  const big = { action: "sha", args: { path: "x".repeat(MAX_KEY_CHARS) } };
  assert.is(gate.decide(big).decision, "require_approval");
  assert.is(gate.decide(big).decision, "require_approval");
  assert.is(set.decisions.size, 0);
  assert.is(set.decisions.hits, 0);
  assert.is(gate.decide({ action: "sha", args: { path: "x" } }).decision, "require_approval");
  assert.is(set.decisions.size, 1);
});

test("the keys held together stay under the character bound", () => {
  const cache = new DecisionCache(100_000);
  const d = { decision: "allow" as const, rules: ["r"], locations: [""], reason: "allowed" };
  const perKey = MAX_KEY_CHARS;
  const fit = Math.floor(MAX_CACHED_CHARS / perKey);
  for (let i = 0; i < fit + 50; i++) cache.set(String(i).padStart(perKey, "k"), d);
  assert.is(cache.size, fit);
  assert.ok(cache.get(String(fit + 49).padStart(perKey, "k")), "the newest is kept");
  assert.is(cache.get(String(0).padStart(perKey, "k")), undefined, "the oldest went first");
});

test("the least recently used decision is the one forgotten", () => {
  const set = PolicySet.load(parts, { decisionCacheEntries: 2 });
  const gate = set.gate({ input: { limit: 3, tags: [] }, trusted: { user: { role: "analyst" } } });
  const a = { action: "sha", args: { path: "a" } };
  const b = { action: "sha", args: { path: "b" } };
  const c = { action: "sha", args: { path: "c" } };
  gate.decide(a);
  gate.decide(b);
  gate.decide(a); // a is now the most recent
  gate.decide(c); // evicts b
  assert.is(set.decisions.hits, 1);
  gate.decide(a);
  assert.is(set.decisions.hits, 2, "a was kept");
  gate.decide(b);
  assert.is(set.decisions.hits, 2, "b was forgotten");
});

test("calls that differ only in an argument no policy of the action reads are one entry", () => {
  const set = PolicySet.load(parts);
  const gate = set.gate({ input: { limit: 3, tags: [] }, trusted: { user: { role: "analyst" } } });
  assert.is(gate.decide({ action: "wc", args: { path: "a" } }).decision, "allow");
  assert.is(gate.decide({ action: "wc", args: { path: "b" } }).decision, "allow");
  assert.is(set.decisions.size, 1);
  assert.is(set.decisions.hits, 1);
});

test("every decision of a run is audited, repeats answered by the cache included", async () => {
  const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
  const work = mkdtempSync(join(tmpdir(), "symbi-decision-cache-"));
  try {
    const key = join(work, "audit.key");
    generateKeyFiles(key);
    const log = join(work, "run.log");
    const { bundles } = await compileToBundles(join(root, "test/runtime/fixtures/repeat/agents/repeat.symbi"));
    const r = await execAgent({
      bundle: bundles.get("repeat")!,
      input: { name: "Ada" },
      auditLog: log,
      keyFile: key,
      onLog: () => {},
    });
    assert.is(r.status, "ok", r.message);
    assert.equal(r.value, { same: true, denied: 2 });
    assert.ok(verifyLog(log, { publicKey: loadPublicKey(`${key}.pub`) }).ok, "the log verifies");
    const decisions = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; details: { action?: string; decision?: string } })
      .filter((x) => x.type === "decision")
      .map((x) => `${x.details.action} ${x.details.decision}`);
    assert.equal(decisions, ["greet allow", "greet allow", "greet allow", "factor deny", "factor deny"]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
