/**
 * What keeps a loop iteration cheap, checked as behaviour (the speed itself is measured by
 * bench/reason.bench.ts, never here): the provider client keeps its HTTP connection alive
 * between iterations instead of connecting for every model call, and the request hashes the
 * audit log records — now built from cached message texts — are the SHA-256 of each request's
 * whole canonical JSON, turn after turn of a growing conversation.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { canonicalJson } from "../../formats/json.js";
import { sha256Hex } from "../../formats/digest.js";
import { startModelServer, type ModelServer, type Turn } from "../helpers/model-server.js";
import { ofType, PROTOCOLS, runAgent } from "./model-helpers.js";

const I = suite("reasoning loop iteration cost");

const servers: ModelServer[] = [];
I.after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const TURNS = 6;
const script = (): Turn[] => [
  ...Array.from({ length: TURNS }, (_, i) => ({ toolCalls: [{ name: "greet", arguments: { who: `Ada ${i}` } }] })),
  { text: "Greeted Ada six times." },
];

for (const protocol of PROTOCOLS) {
  I(`${protocol}: the model calls of one loop share kept-alive connections, not one connection per call`, async () => {
    const server = await startModelServer(protocol, script());
    servers.push(server);
    const r = await runAgent(server, "solver", { task: "Greet Ada six times", rounds: 10 });
    assert.is(r.result.status, "ok", r.result.message);
    assert.is((r.result.value as { iterations: number }).iterations, TURNS + 1);
    assert.is(server.requests.length, TURNS + 1);
    // Node's fetch keeps connections alive; a call that starts the very moment the previous
    // answer was read may find that connection not yet released and open a second one, after
    // which the two take turns. More than two would mean connections are not being reused.
    assert.ok(
      server.connections() <= 2,
      `${server.connections()} connections for ${server.requests.length} model calls`,
    );
  });

  I(`${protocol}: each model_call's requestSha256 is the hash of that whole request, turn after turn`, async () => {
    const server = await startModelServer(protocol, script());
    servers.push(server);
    const r = await runAgent(server, "solver", { task: "Greet Ada six times", rounds: 10 }, { auditContent: "full" });
    assert.is(r.result.status, "ok", r.result.message);
    const calls = ofType(r.records, "model_call");
    assert.is(calls.length, TURNS + 1);
    const hashes = new Set<string>();
    for (const c of calls) {
      // With --audit-content full the record holds the request itself, as JSON.
      assert.is(c.details.requestSha256, sha256Hex(canonicalJson(c.details.request)));
      hashes.add(c.details.requestSha256 as string);
    }
    assert.is(hashes.size, TURNS + 1, "every turn's request differs (the conversation grows)");
    assert.is((calls.at(-1)!.details.request as { messages: unknown[] }).messages.length, 1 + 2 * TURNS);
  });
}

I.run();
