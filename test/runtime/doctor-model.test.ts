/**
 * `symbi doctor`: the model provider is reachable without spending tokens. Real loopback HTTP
 * servers speak the providers' model-listing endpoints (OpenAI-compatible `GET /v1/models`,
 * Anthropic `GET /v1/models`) with scripted answers — the listing, 401, a listing without the
 * model, 404, and one that never answers — and doctor reaches them through the providers' own
 * client libraries, as a run would.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../config/index.js";
import { runDoctor, type DoctorContext } from "../../runtime/doctor/index.js";
import { modelFindings } from "../../runtime/doctor/model.js";
import { projectNeeds, type ProjectNeeds } from "../../runtime/doctor/project.js";
import { listedAsModel } from "../../runtime/model/probe.js";
import { symbi } from "../helpers/symbi.js";

type Mode = "list" | "401" | "404" | "hang";

interface ListingServer {
  url: string;
  seen: Array<{ method: string; path: string; auth: string }>;
  close(): Promise<void>;
}

const KEY = "sk-test-4f1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c";

/** A model-listing server: `models` listed in the protocol's shape, or the mode's fault. */
async function listingServer(protocol: "openai" | "anthropic", mode: Mode, models: string[]): Promise<ListingServer> {
  const seen: ListingServer["seen"] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    seen.push({
      method: req.method ?? "",
      path: req.url ?? "",
      auth: String(req.headers["authorization"] ?? req.headers["x-api-key"] ?? ""),
    });
    if (mode === "hang") return; // never answers
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.method !== "GET" || !(req.url ?? "").startsWith("/v1/models")) return json(404, { error: "no such route" });
    if (mode === "401")
      return json(401, {
        error: {
          message: `Incorrect API key provided: ${KEY.slice(0, 8)}...${KEY.slice(-4)}`,
          type: "invalid_request_error",
        },
      });
    if (mode === "404") return json(404, { error: { message: "Not found", type: "not_found_error" } });
    if (protocol === "openai")
      return json(200, {
        object: "list",
        data: models.map((id) => ({ id, object: "model", created: 1700000000, owned_by: "test" })),
      });
    return json(200, {
      data: models.map((id) => ({ type: "model", id, display_name: id, created_at: "2025-01-01T00:00:00Z" })),
      has_more: false,
      first_id: models[0] ?? null,
      last_id: models.at(-1) ?? null,
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** A project folder whose symbi.toml holds `[model]`. */
function project(modelToml: string, agent?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "symbi-doctor-model-"));
  writeFileSync(join(dir, "symbi.toml"), modelToml);
  if (agent) {
    mkdirSync(join(dir, "agents"));
    writeFileSync(join(dir, "agents", "a.symbi"), agent);
  }
  return dir;
}

const CALLS_MODEL = `metadata {
    model = "openai:from-metadata"
}

agent asker(prompt: String) -> String {
    policy rules { allow: use_llm(p) }
    with sandbox = "process", timeout = 10s { llm_call(prompt) }
}
`;
const NO_MODEL = `agent plain() -> String {
    with sandbox = "process", timeout = 10s { "hello" }
}
`;

function needsModel(dir: string, agents: Record<string, string | undefined> = { asker: undefined }): ProjectNeeds {
  return {
    root: dir,
    agents: Object.keys(agents),
    tiers: new Map(),
    images: new Map(),
    models: new Map(Object.entries(agents)),
    mcpServers: new Map(),
  };
}

function context(dir: string, needs: ProjectNeeds, env: Record<string, string> = { MY_KEY: KEY }): DoctorContext {
  return { config: loadConfig({ projectRoot: dir, env }), needs, now: Date.now(), env, options: {} };
}

const openaiToml = (url: string, model = "gpt-test") =>
  `[model]\nprovider = "openai"\nmodel = "${model}"\nbase_url = "${url}/v1"\napi_key_env = "MY_KEY"\n`;
const anthropicToml = (url: string, model: string) =>
  `[model]\nprovider = "anthropic"\nmodel = "${model}"\nbase_url = "${url}"\napi_key_env = "MY_KEY"\n`;

const M = suite("symbi doctor: the model provider is reachable, without spending tokens");

M("OpenAI-compatible: GET /v1/models lists the model → ok; no completion is requested", async () => {
  const s = await listingServer("openai", "list", ["other", "gpt-test"]);
  try {
    const dir = project(openaiToml(s.url));
    const f = await modelFindings(context(dir, needsModel(dir)), { timeoutMs: 3000 });
    assert.is(f.length, 1, JSON.stringify(f));
    assert.is(f[0]!.status, "ok", f[0]!.detail);
    assert.is(f[0]!.subject, "model openai:gpt-test");
    assert.match(f[0]!.detail, /is reachable and lists it; key from MY_KEY — used by agent asker/);
    assert.equal(
      s.seen.map((r) => `${r.method} ${r.path}`),
      ["GET /v1/models"],
    );
    assert.is(s.seen[0]!.auth, `Bearer ${KEY}`);
  } finally {
    await s.close();
  }
});

M("Anthropic: GET /v1/models lists an alias by its dated name → ok", async () => {
  const s = await listingServer("anthropic", "list", ["claude-test-4-5-20250929", "claude-other-1"]);
  try {
    const dir = project(anthropicToml(s.url, "claude-test-4-5"));
    const f = await modelFindings(context(dir, needsModel(dir)), { timeoutMs: 3000 });
    assert.is(f[0]!.status, "ok", f[0]!.detail);
    assert.match(f[0]!.detail, /lists it \(as claude-test-4-5-20250929\)/);
    assert.match(s.seen[0]!.path, /^\/v1\/models/);
    assert.ok(s.seen[0]!.auth.includes(KEY), "the key went with the request");
  } finally {
    await s.close();
  }
});

M("401: the key is refused — the variable to set is named, the key is never printed", async () => {
  for (const protocol of ["openai", "anthropic"] as const) {
    const s = await listingServer(protocol, "401", []);
    try {
      const dir = project(protocol === "openai" ? openaiToml(s.url) : anthropicToml(s.url, "claude-test"));
      const f = await modelFindings(context(dir, needsModel(dir)), { timeoutMs: 3000 });
      assert.is(f[0]!.status, "fail", protocol);
      assert.match(f[0]!.detail, /refused the key in MY_KEY \(HTTP 401\)/);
      assert.is(f[0]!.fix, `set MY_KEY to a valid API key for ${protocol}`);
      const text = JSON.stringify(f);
      assert.not.ok(text.includes(KEY) || text.includes(KEY.slice(0, 8)) || text.includes(KEY.slice(-8)), text);
    } finally {
      await s.close();
    }
  }
});

M("the model is not listed; the listing is missing (404); the server never answers (bounded)", async () => {
  const missing = await listingServer("openai", "list", ["llama3.1:latest", "qwen2.5:7b"]);
  const notFound = await listingServer("openai", "404", []);
  const hang = await listingServer("anthropic", "hang", []);
  try {
    let dir = project(openaiToml(missing.url, "gpt-test"));
    let f = await modelFindings(context(dir, needsModel(dir)), { timeoutMs: 3000 });
    assert.is(f[0]!.status, "fail");
    assert.match(
      f[0]!.detail,
      /is reachable \(key from MY_KEY\) but does not list the model \(2 listed: llama3\.1:latest, qwen2\.5:7b\)/,
    );
    // Ollama lists `name:latest` for `name`.
    dir = project(openaiToml(missing.url, "llama3.1"));
    f = await modelFindings(context(dir, needsModel(dir)), { timeoutMs: 3000 });
    assert.is(f[0]!.status, "ok", f[0]!.detail);

    dir = project(openaiToml(notFound.url));
    f = await modelFindings(context(dir, needsModel(dir)), { timeoutMs: 3000 });
    assert.is(f[0]!.status, "fail");
    assert.match(
      f[0]!.detail,
      /answered the model listing with HTTP 404 \(no model listing there: is the base URL right\?\)/,
    );

    dir = project(anthropicToml(hang.url, "claude-test"));
    const started = Date.now();
    f = await modelFindings(context(dir, needsModel(dir)), { timeoutMs: 400 });
    assert.ok(Date.now() - started < 3000, `bounded: ${Date.now() - started} ms`);
    assert.is(f[0]!.status, "fail");
    assert.match(f[0]!.detail, /did not answer the model listing within 0\.4 s/);
    assert.ok(hang.seen.length >= 1, "the request reached the server");
  } finally {
    await Promise.all([missing.close(), notFound.close(), hang.close()]);
  }
});

M(
  "no key for the provider's own endpoint names the variable; a missing model configuration names the settings",
  async () => {
    let dir = project(`[model]\nprovider = "anthropic"\nmodel = "claude-test"\n`);
    let f = await modelFindings(context(dir, needsModel(dir), {}), { timeoutMs: 1000 });
    assert.is(f[0]!.status, "fail");
    assert.match(f[0]!.detail, /no API key: set the environment variable ANTHROPIC_API_KEY/);
    dir = project("");
    f = await modelFindings(context(dir, needsModel(dir), {}), { timeoutMs: 1000 });
    assert.is(f[0]!.status, "fail");
    assert.match(f[0]!.detail, /no model is configured for asker — needed by agent asker/);
    // Not needed: nothing configured is a skip, a broken configuration a warning.
    f = await modelFindings(context(dir, needsModel(dir, {}), {}), { timeoutMs: 1000 });
    assert.is(f[0]!.status, "skip");
    dir = project(`[model]\nprovider = "anthropic"\nmodel = "claude-test"\n`);
    f = await modelFindings(context(dir, needsModel(dir, {}), {}), { timeoutMs: 1000 });
    assert.is(f[0]!.status, "warn");
  },
);

M("each agent's metadata model is checked; SYMBIONT_MODEL overrides it as in a run", async () => {
  const s = await listingServer("openai", "list", ["from-metadata", "from-env"]);
  try {
    const dir = project(openaiToml(s.url, "gpt-test"));
    const needs = needsModel(dir, { asker: "openai:from-metadata", other: undefined });
    let f = await modelFindings(context(dir, needs), { timeoutMs: 3000 });
    const bySubject = Object.fromEntries(f.map((x) => [x.subject, x.status]));
    assert.equal(bySubject, { "model openai:from-metadata": "ok", "model openai:gpt-test": "fail" });
    f = await modelFindings(context(dir, needs, { MY_KEY: KEY, SYMBIONT_MODEL: "openai:from-env" }), {
      timeoutMs: 3000,
    });
    assert.equal(
      f.map((x) => `${x.subject} ${x.status}`),
      ["model openai:from-env ok"],
    );
    assert.match(f[0]!.detail, /used by agents asker, other/);
  } finally {
    await s.close();
  }
});

M("a replay: model needs only its recording, readable", async () => {
  const dir = project("");
  const rec = join(dir, "rec.jsonl");
  writeFileSync(
    rec,
    JSON.stringify({
      format: "symbi-model-recording/1",
      provider: "openai",
      model: "gpt-test",
      endpoint: "http://127.0.0.1:1/v1",
      created: "2026-01-01T00:00:00Z",
      recorder: "test",
      source: { kind: "live" },
    }) + "\n",
  );
  let f = await modelFindings(context(dir, needsModel(dir), {}), { replay: rec });
  assert.is(f[0]!.status, "ok", f[0]!.detail);
  assert.match(f[0]!.detail, /readable: 0 exchanges recorded with openai:gpt-test/);
  f = await modelFindings(context(dir, needsModel(dir), {}), { replay: join(dir, "missing.jsonl") });
  assert.is(f[0]!.status, "fail");
  assert.match(f[0]!.detail, /cannot read the recording .*missing\.jsonl: ENOENT/);
});

M("symbi doctor --model replay: without a path is a usage error", async () => {
  const r = await symbi("doctor", project(""), "--model", "replay:");
  assert.is(r.code, 1);
  assert.match(r.stderr, /symbi: error: --model replay:FILE needs the recording's path/);
});

M("which agents need a model: those whose code calls llm_call or reason, with their metadata model", () => {
  const dir = project("", CALLS_MODEL);
  writeFileSync(join(dir, "agents", "b.symbi"), NO_MODEL);
  const needs = projectNeeds(dir, undefined);
  assert.is(needs.problem, undefined);
  assert.equal([...needs.models], [["asker", "openai:from-metadata"]]);
});

M("exit 0 only when the agents' needs are met: a project without model calls does not need a model", async () => {
  // A port nothing listens on any more.
  const closed = await listingServer("openai", "list", []);
  await closed.close();
  const down = closed.url;
  const env = { MY_KEY: KEY, XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), "symbi-xdg-")) };
  const [needed, notNeeded] = await Promise.all([
    runDoctor({ path: project(openaiToml(down), CALLS_MODEL), env, model: { timeoutMs: 2000 } }),
    runDoctor({ path: project(openaiToml(down), NO_MODEL), env, model: { timeoutMs: 2000 } }),
  ]);
  const model = (r: typeof needed) => r.findings.find((x) => x.subject.startsWith("model"))!;
  assert.is(model(needed).status, "fail", model(needed).detail);
  assert.match(model(needed).detail, /is not reachable: .*ECONNREFUSED/, model(needed).detail);
  assert.is(needed.ok, false);
  assert.is(model(notNeeded).status, "warn", model(notNeeded).detail);
  assert.is(
    notNeeded.ok,
    notNeeded.findings.every((x) => x.status !== "fail"),
  );
  assert.not.ok(
    notNeeded.findings.some((x) => x.status === "fail" && x.subject.startsWith("model")),
    "the unreachable model fails nothing",
  );
});

M("alias matching is exact: a dated snapshot, name:latest, nothing looser", () => {
  assert.ok(listedAsModel("gpt-4o", "gpt-4o"));
  assert.ok(listedAsModel("claude-x-20250929", "claude-x"));
  assert.ok(listedAsModel("llama3.1:latest", "llama3.1"));
  assert.not.ok(listedAsModel("gpt-4o-mini", "gpt-4o"));
  assert.not.ok(listedAsModel("claude-x-2025", "claude-x"));
  assert.not.ok(listedAsModel("llama3.1:70b", "llama3.1"));
});

M.run();
