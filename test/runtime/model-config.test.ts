/**
 * The model configuration: `[model]` in symbi.toml (every key, located errors, unknown keys with
 * a suggestion), the precedence of --model, SYMBIONT_MODEL, agent metadata and the file, the
 * providers' variables, the rule that a project file cannot send the operator's key to an
 * arbitrary host, and keys never printed.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import {
  ApiKey,
  MODEL_KEYS,
  ModelConfigError,
  readProjectModelSettings,
  resolveModelConfig,
  type ModelSettings,
} from "../../runtime/model/config.js";
import { startModelServer } from "../helpers/model-server.js";
import { KEY, runAgent, work } from "./model-helpers.js";

const C = suite("model configuration");

let dirs = 0;
function projectWith(toml: string): string {
  const dir = join(work, `proj-${++dirs}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "symbi.toml"), toml);
  return dir;
}

function throwsConfig(f: () => unknown, re: RegExp): void {
  try {
    f();
  } catch (e) {
    assert.instance(e, ModelConfigError);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected a ModelConfigError matching ${re}`);
}

C("every [model] key is read and typed", () => {
  const dir = projectWith(
    [
      "[model]",
      'provider = "anthropic"',
      'model = "claude-sonnet-4-5"',
      'base_url = "http://127.0.0.1:8080/"',
      'api_key_env = "MY_LLM_KEY"',
      'timeout = "90s"',
      "max_retries = 4",
      'max_retry_wait = "2m"',
      "max_tokens = 2048",
      "temperature = 0.2",
      "token_budget = 50000",
      "tool_output_max_bytes = 4096",
      "",
      "[security]",
      'default_sandbox_tier = "gvisor"',
    ].join("\n"),
  );
  const p = readProjectModelSettings(dir)!;
  const want: ModelSettings = {
    provider: "anthropic",
    model: "claude-sonnet-4-5",
    baseUrl: "http://127.0.0.1:8080",
    apiKeyEnv: "MY_LLM_KEY",
    timeoutMs: 90_000,
    maxRetries: 4,
    maxRetryWaitMs: 120_000,
    maxTokens: 2048,
    temperature: 0.2,
    tokenBudget: 50_000,
    toolOutputMaxBytes: 4096,
  };
  assert.equal(p.settings, want);
  assert.is(Object.keys(want).length, MODEL_KEYS.length, "the test covers every key");
  const c = resolveModelConfig({ project: p, env: { MY_LLM_KEY: KEY } })!;
  assert.equal(
    [c.provider, c.model, c.baseUrl, c.keyVariable, c.apiKey?.reveal()],
    ["anthropic", "claude-sonnet-4-5", "http://127.0.0.1:8080", "MY_LLM_KEY", KEY],
  );
});

C("a bad [model] is refused with the file, line and column, and a suggestion for a misspelt key", () => {
  throwsConfig(
    () => readProjectModelSettings(projectWith('[model]\nprovider = "openai"\nmodle = "gpt-4o"\n')),
    /symbi\.toml:3:1: unknown key `modle` in \[model\]; did you mean `model`\?/,
  );
  throwsConfig(
    () => readProjectModelSettings(projectWith('[model]\nprovider = "gemini"\n')),
    /symbi\.toml:2:12: \[model\] provider must be "openai" or "anthropic", not "gemini"/,
  );
  throwsConfig(
    () => readProjectModelSettings(projectWith('[model]\ntimeout = "soon"\n')),
    /timeout must be a duration/,
  );
  throwsConfig(() => readProjectModelSettings(projectWith("[model]\nmax_retries = 99\n")), /from 0 to 10/);
  throwsConfig(
    () => readProjectModelSettings(projectWith('[model]\nbase_url = "https://user:pw@example.com/v1"\n')),
    /must not carry credentials/,
  );
  // A key pasted where its variable's name belongs is refused without being echoed.
  try {
    readProjectModelSettings(projectWith(`[model]\napi_key_env = "${KEY}"\n`));
    assert.unreachable();
  } catch (e) {
    assert.match(
      (e as Error).message,
      /must be the NAME of an environment variable .* not a value that looks like a key/,
    );
    assert.not.ok((e as Error).message.includes(KEY));
  }
  throwsConfig(() => readProjectModelSettings(projectWith("[model\n")), /symbi\.toml:1:\d+: invalid TOML/);
});

C(
  "precedence: --model over SYMBIONT_MODEL over agent metadata over [model]; the providers' variables for URL and key",
  () => {
    const project = { file: "symbi.toml", settings: { provider: "openai", model: "from-file" } as ModelSettings };
    const env = { OPENAI_API_KEY: KEY };
    const pick = (e: Record<string, string>, flag?: string, meta?: string) => {
      const c = resolveModelConfig({ project, env: { ...env, ...e }, ...(flag ? { flag } : {}) }, meta)!;
      return `${c.provider}:${c.model} (${c.sources.model})`;
    };
    assert.is(pick({}), "openai:from-file (symbi.toml)");
    assert.is(pick({}, undefined, "from-metadata"), "openai:from-metadata (agent metadata)");
    assert.is(pick({ SYMBIONT_MODEL: "from-env" }, undefined, "from-metadata"), "openai:from-env (environment)");
    assert.is(
      pick({ SYMBIONT_MODEL: "from-env", ANTHROPIC_API_KEY: KEY }, "anthropic:from-flag", "m"),
      "anthropic:from-flag (--model)",
    );
    const c = resolveModelConfig({ project, env: { ...env, OPENAI_BASE_URL: "http://localhost:11434/v1" } })!;
    assert.equal([c.baseUrl, c.sources.baseUrl], ["http://localhost:11434/v1", "environment"]);
    assert.is(resolveModelConfig({ env: {} }), undefined, "nothing configured");
    throwsConfig(
      () => resolveModelConfig({ env: {} }, "gpt-4o"),
      /the model `gpt-4o` \(agent metadata\) has no provider/,
    );
    throwsConfig(() => resolveModelConfig({ env: {}, flag: "gemini:pro" }), /--model: unknown provider `gemini`/);
  },
);

C("a local endpoint needs no key; the provider's own endpoint without one names the variable to set", () => {
  const local = resolveModelConfig({ env: { OPENAI_BASE_URL: "http://localhost:11434/v1" }, flag: "openai:llama3.1" })!;
  assert.equal([local.baseUrl, local.apiKey], ["http://localhost:11434/v1", undefined]);
  throwsConfig(
    () => resolveModelConfig({ env: {}, flag: "anthropic:claude-sonnet-4-5" }),
    /anthropic: no API key: set the environment variable ANTHROPIC_API_KEY/,
  );
});

C("a project file cannot send the operator's key to a host of its choosing", () => {
  const project = {
    file: "/p/symbi.toml",
    settings: { provider: "openai", model: "m", baseUrl: "https://collector.example/v1" } as ModelSettings,
  };
  throwsConfig(
    () => resolveModelConfig({ project, env: { OPENAI_API_KEY: KEY } }),
    /sets \[model\] base_url = "https:\/\/collector\.example\/v1"; the API key in OPENAI_API_KEY is sent only to .* set OPENAI_BASE_URL=https:\/\/collector\.example\/v1/,
  );
  // The operator naming the same URL, or a loopback address, is fine.
  assert.ok(
    resolveModelConfig({ project, env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: "https://collector.example/v1" } }),
  );
  const loop = { ...project, settings: { ...project.settings, baseUrl: "http://127.0.0.1:8000/v1" } };
  assert.ok(resolveModelConfig({ project: loop, env: { OPENAI_API_KEY: KEY } })?.apiKey);
});

C("an API key never prints: JSON, string and inspect show [redacted]", () => {
  const k = new ApiKey(KEY, "OPENAI_API_KEY");
  for (const text of [JSON.stringify({ k }), String(k), `${k}`, inspect(k), inspect({ nested: { k } })])
    assert.not.ok(text.includes(KEY), text);
  assert.is(k.reveal(), KEY);
});

C("no model configured: llm_call keeps its clear error (after the gate)", async () => {
  const r = await runAgent(undefined, "asker", { prompt: "hi" }, { flag: null, env: {} });
  assert.is(r.result.value, "Error: `llm_call` is not available: no model provider is configured for this runtime");
});

C("an agent's metadata `model` is used, and --model overrides it", async () => {
  const server = await startModelServer("openai", [{ text: "a" }, { text: "b" }]);
  try {
    await runAgent(server, "labelled", { prompt: "x" }, { flag: null });
    await runAgent(server, "labelled", { prompt: "x" }, { flag: "openai:from-the-flag" });
    assert.equal(
      server.requests.map((r) => r.body.model),
      ["model-from-metadata", "from-the-flag"],
    );
  } finally {
    await server.close();
  }
});

C.run();
