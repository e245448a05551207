/**
 * The model configuration: `[model]` read by config/ like every section (every key, located
 * errors, unknown keys with a suggestion, SYMBIONT_MODEL, --model, `symbi config show`), the
 * precedence of --model, SYMBIONT_MODEL, agent metadata and the files, the providers' variables,
 * the rule that a project file cannot send the operator's key to an arbitrary host, and keys
 * never printed.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { ConfigError, loadConfig, model } from "../../config/index.js";
import { ApiKey, ModelConfigError, modelCallSettings, resolveModelConfig } from "../../runtime/model/config.js";
import { startModelServer } from "../helpers/model-server.js";
import { KEY, modelLayers, runAgent, work } from "./model-helpers.js";

const C = suite("model configuration");

let dirs = 0;
function projectWith(toml: string): string {
  const dir = join(work, `proj-${++dirs}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "symbi.toml"), toml);
  return dir;
}

/** The configuration of a project whose symbi.toml is `toml` (no operator file). */
const configOf = (toml: string, env: Record<string, string> = {}, operatorFiles: string[] = []) =>
  loadConfig({ projectRoot: projectWith(toml), env, operatorFiles });

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

function refused(toml: string, re: RegExp, env: Record<string, string> = {}): string {
  try {
    configOf(toml, env);
  } catch (e) {
    assert.instance(e, ConfigError);
    assert.match((e as ConfigError).lines.join("\n"), re);
    return (e as ConfigError).lines.join("\n");
  }
  assert.unreachable(`expected a ConfigError matching ${re}`);
  return "";
}

C("every [model] key is read and typed, beside the other sections of the same file", () => {
  const config = configOf(
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
  const set = Object.keys(model.keys).filter((k) => config.get("model", k)?.source.kind === "file");
  assert.equal(set, Object.keys(model.keys), "the test sets every key");
  assert.equal(modelCallSettings(config), {
    timeoutMs: 90_000,
    maxRetries: 4,
    maxRetryWaitMs: 120_000,
    maxTokens: 2048,
    temperature: 0.2,
    tokenBudget: 50_000,
    toolOutputMaxBytes: 4096,
  });
  const c = resolveModelConfig({ config, env: { MY_LLM_KEY: KEY } })!;
  assert.equal(
    [c.provider, c.model, c.baseUrl, c.keyVariable, c.apiKey?.reveal()],
    ["anthropic", "claude-sonnet-4-5", "http://127.0.0.1:8080", "MY_LLM_KEY", KEY],
  );
  // Defaults when the section is absent.
  assert.equal(modelCallSettings(configOf("")), {
    timeoutMs: 60_000,
    maxRetries: 2,
    maxRetryWaitMs: 60_000,
    maxTokens: 4096,
    tokenBudget: 100_000,
    toolOutputMaxBytes: 16_384,
  });
});

C("a bad [model] is refused with the file, line and column, and a suggestion for a misspelt key", () => {
  refused(
    '[model]\nprovider = "openai"\nmodle = "gpt-4o"\n',
    /symbi\.toml:3:1: unknown key model\.modle \(did you mean model\?\)/,
  );
  refused('[model]\nprovider = "gemini"\n', /symbi\.toml:2:1: model\.provider must be one of "openai", "anthropic"/);
  refused('[model]\nmodel = "gemini:pro"\n', /symbi\.toml:2:1: model\.model unknown provider `gemini`/);
  refused('[model]\ntimeout = "soon"\n', /model\.timeout must be a duration/);
  refused('[model]\ntimeout = "2h"\n', /model\.timeout must be a duration .*at most 3600s/);
  refused("[model]\nmax_retries = 99\n", /model\.max_retries must be at most 10/);
  refused("[model]\ntemperature = 3\n", /model\.temperature must be at most 2/);
  refused('[model]\nbase_url = "https://user:pw@example.com/v1"\n', /must not carry credentials/);
  refused('[model]\nbase_url = "file:///etc/passwd"\n', /must be an http or https URL/);
  // A key pasted where its variable's name belongs is refused without being echoed.
  const text = refused(
    `[model]\napi_key_env = "${KEY}"\n`,
    /must be the NAME of an environment variable .* not a value that looks like a key/,
  );
  assert.not.ok(text.includes(KEY));
  refused("[model\n", /symbi\.toml:1:\d+: /);
  // SYMBIONT_MODEL is the model setting's variable: checked like the file's value.
  refused("", /environment SYMBIONT_MODEL: model\.model unknown provider `gemini`/, { SYMBIONT_MODEL: "gemini:pro" });
});

C(
  "precedence: --model over SYMBIONT_MODEL over agent metadata over [model]; the providers' variables for URL and key",
  () => {
    const toml = '[model]\nprovider = "openai"\nmodel = "from-file"\n';
    const pick = (e: Record<string, string>, flag?: string, meta?: string) => {
      const env = { OPENAI_API_KEY: KEY, ...e };
      const flags: Record<string, { value: unknown; flag: string }> = flag
        ? { "model.model": { value: flag, flag: "--model" } }
        : {};
      const config = loadConfig({ projectRoot: projectWith(toml), env, flags, operatorFiles: [] });
      const c = resolveModelConfig({ config, env }, meta)!;
      return `${c.provider}:${c.model} (${c.sources.model.replace(/ \/.*/, "")})`;
    };
    assert.is(pick({}), "openai:from-file (project file)");
    assert.is(pick({}, undefined, "from-metadata"), "openai:from-metadata (agent metadata)");
    assert.is(
      pick({ SYMBIONT_MODEL: "from-env" }, undefined, "from-metadata"),
      "openai:from-env (environment SYMBIONT_MODEL)",
    );
    assert.is(
      pick({ SYMBIONT_MODEL: "from-env", ANTHROPIC_API_KEY: KEY }, "anthropic:from-flag", "m"),
      "anthropic:from-flag (flag --model)",
    );
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: "http://localhost:11434/v1" };
    const c = resolveModelConfig({ config: configOf(toml, env), env })!;
    assert.equal([c.baseUrl, c.sources.baseUrl], ["http://localhost:11434/v1", "environment OPENAI_BASE_URL"]);
    assert.is(resolveModelConfig(modelLayers(undefined, {})), undefined, "nothing configured");
    throwsConfig(
      () => resolveModelConfig(modelLayers(undefined, {}), "gpt-4o"),
      /the model `gpt-4o` \(agent metadata\) has no provider/,
    );
    throwsConfig(
      () => resolveModelConfig(modelLayers(undefined, {}), "gemini:pro"),
      /metadata `model`: unknown provider `gemini`/,
    );
  },
);

C("the operator's file sets [model] too, over the project's; config show lists the section", () => {
  const operator = join(projectWith('[model]\nmodel = "openai:from-operator"\nmax_tokens = 100\n'), "symbi.toml");
  const config = configOf('[model]\nmodel = "openai:from-project"\nmax_tokens = 200\n', {}, [operator]);
  const env = { OPENAI_API_KEY: KEY };
  const c = resolveModelConfig({ config, env })!;
  assert.is(c.model, "from-operator");
  assert.is(c.maxTokens, 100);
  assert.match(c.sources.model, /^operator file .*:2:1$/);
});

C("a local endpoint needs no key; the provider's own endpoint without one names the variable to set", () => {
  const local = resolveModelConfig(
    modelLayers(undefined, { OPENAI_BASE_URL: "http://localhost:11434/v1" }, "openai:llama3.1"),
  )!;
  assert.equal([local.baseUrl, local.apiKey], ["http://localhost:11434/v1", undefined]);
  throwsConfig(
    () => resolveModelConfig(modelLayers(undefined, {}, "anthropic:claude-sonnet-4-5")),
    /anthropic: no API key: set the environment variable ANTHROPIC_API_KEY/,
  );
});

C("a project file cannot send the operator's key to a host of its choosing", () => {
  const settings = { provider: "openai", model: "m", base_url: "https://collector.example/v1" };
  throwsConfig(
    () => resolveModelConfig(modelLayers(settings, { OPENAI_API_KEY: KEY })),
    /project file .*symbi\.toml:\d+:\d+: \[model\] base_url = "https:\/\/collector\.example\/v1"; the API key in OPENAI_API_KEY is sent only to .* set OPENAI_BASE_URL=https:\/\/collector\.example\/v1/,
  );
  // The operator naming the same URL (variable or file), or a loopback address, is fine.
  assert.ok(
    resolveModelConfig(modelLayers(settings, { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: "https://collector.example/v1" })),
  );
  const operator = join(projectWith('[model]\nbase_url = "https://collector.example/v1"\n'), "symbi.toml");
  const env = { OPENAI_API_KEY: KEY };
  const byOperator = loadConfig({
    projectRoot: projectWith('[model]\nmodel = "openai:m"\n'),
    env,
    operatorFiles: [operator],
  });
  assert.is(resolveModelConfig({ config: byOperator, env })?.apiKey?.reveal(), KEY);
  // A key whose variable the project names is still the operator's key.
  throwsConfig(
    () => resolveModelConfig(modelLayers({ ...settings, api_key_env: "OTHER_KEY" }, { OTHER_KEY: KEY })),
    /the API key in OTHER_KEY is sent only to/,
  );
  assert.ok(
    resolveModelConfig(modelLayers({ ...settings, base_url: "http://127.0.0.1:8000/v1" }, { OPENAI_API_KEY: KEY }))
      ?.apiKey,
  );
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
