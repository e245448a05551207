/**
 * The faithfulness of the loop (property): a call the model proposes and the same call written
 * in the agent's code get the same decision — the same gate, rules and arguments in the audit
 * log, and the same outcome (ran, denied by the same rule, refused for its arguments). Random
 * arguments around the policy's edges (its thresholds, the value derived from an input, the
 * blocked name taken from an input, strings that break the contract) drive agent `prober` of
 * the fixture project both ways, through the real clients and a loopback server.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { startModelServer, type Turn } from "../helpers/model-server.js";
import { ofType, resultsSent, runAgent, type Rec } from "./model-helpers.js";

interface Sample {
  n: number;
  m: number;
  who: string;
  blocked: string;
}

const sample = fc
  .record({
    n: fc.integer({ min: 1, max: 6_000_000 }),
    m: fc.oneof(
      fc.constantFrom(1, 12, 13, 14, 4_999_999, 5_000_000, 5_000_001, 0, -7, 2 ** 40),
      fc.integer({ min: -5, max: 6_000_000 }),
    ),
    who: fc.oneof(
      fc.constantFrom("Ada", "Mallory", "Eve", "Grace Hopper", "Bob; rm -rf /", "", "x".repeat(70), "Émile"),
      fc.string({ maxLength: 12 }),
    ),
    blocked: fc.constantFrom("Eve", "Ada", "Mallory"),
  })
  // The derived rule (`deny: factor(x) if x == n + 1`) needs m = n + 1 now and then.
  .chain((s) => fc.oneof(fc.constant(s), fc.constant({ ...s, m: s.n + 1 })));

/** The gate's decisions on the two tools, as the audit log has them. */
function decisions(records: Rec[]): unknown[] {
  return ofType(records, "decision")
    .filter((d) => d.details.action !== "use_llm")
    .map((d) => [d.details.action, d.details.decision, d.details.rules, d.details.args]);
}

/** A code outcome (`ok`, `PolicyDenied:<rule>`, `ArgumentError:`) in the loop's terms. */
function codeOutcome(s: string): string {
  if (s === "ok") return "ok";
  const [kind, rule] = s.split(":");
  return kind === "PolicyDenied" ? `denied:${rule}` : kind === "ArgumentError" ? "invalid_arguments" : `other:${kind}`;
}

test("a proposed call and the same call written in code get the same decision (property)", async () => {
  let current: Sample = { n: 1, m: 1, who: "Ada", blocked: "Eve" };
  const turn = (body: Record<string, unknown>): Turn =>
    (body.messages as unknown[]).length <= 2
      ? {
          toolCalls: [
            { name: "factor", arguments: { n: current.m } },
            { name: "greet", arguments: { who: current.who } },
          ],
        }
      : { text: "done" };
  const server = await startModelServer(
    "openai",
    Array.from({ length: 400 }, () => turn),
  );
  try {
    await fc.assert(
      fc.asyncProperty(sample, async (s) => {
        current = s;
        const input = { n: s.n, m: s.m, who: s.who, blocked: s.blocked };
        const code = await runAgent(server, "prober", { ...input, via_model: false });
        const before = server.requests.length;
        const loop = await runAgent(server, "prober", { ...input, via_model: true });
        assert.is(code.result.status, "ok", code.result.message);
        assert.is(loop.result.status, "ok", loop.result.message);
        assert.equal(decisions(loop.records), decisions(code.records), "same decisions, rules and arguments");
        const v = code.result.value as { factor: string; greet: string };
        const told = resultsSent(server, before + 1).map((r) =>
          r.status === "denied" ? `denied:${r.rule}` : r.status,
        );
        assert.equal(told, [codeOutcome(v.factor), codeOutcome(v.greet)], "same outcome");
      }),
      { numRuns: 30, seed: 1212 },
    );
  } finally {
    await server.close();
  }
});

test.run();
