/**
 * Helpers for the model tests: the fixture project (test/runtime/fixtures/model), a run of one
 * of its agents against a scripted server on loopback through the real provider clients, with a
 * signed audit log that is verified before its records are returned.
 */
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generateKeyFiles, loadPublicKey } from "../../runtime/audit/keys.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { compileToBundles, execAgent, type Bundle, type ExecResult } from "../../runtime/exec/index.js";
import { stringify } from "smol-toml";
import { loadConfig } from "../../config/index.js";
import type { ModelLayers } from "../../runtime/model/config.js";
import { ModelSetup, type AuditContent } from "../../runtime/model/setup.js";
import type { ModelServer } from "../helpers/model-server.js";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const FIXTURE = join(ROOT, "test/runtime/fixtures/model");

/** The API key the tests configure: it must reach the server and appear nowhere else. */
export const KEY = "sk-test-Zq7fWq2mTn8vLp4xRc9bYd3kHs6jGa1e";

export const work = mkdtempSync(join(tmpdir(), "symbi-model-test-"));
const keyFile = join(work, "audit.key");
generateKeyFiles(keyFile);
const publicKey = loadPublicKey(`${keyFile}.pub`);

let project: Promise<Map<string, Bundle>> | undefined;
export async function fixture(): Promise<Map<string, Bundle>> {
  // Every agent of the project (the file's and the others').
  project ??= compileToBundles(join(FIXTURE, "agents", "model.symbi")).then((c) => c.bundles);
  return project;
}

/** The environment that points a provider at `server` with KEY. */
export function envFor(server: Pick<ModelServer, "protocol" | "baseUrl">): Record<string, string> {
  return server.protocol === "openai"
    ? { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseUrl }
    : { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.baseUrl };
}

export interface Rec {
  seq: number;
  type: string;
  run: string | null;
  agent: string | null;
  details: Record<string, any>;
}

export interface Ran {
  result: ExecResult;
  records: Rec[];
  /** The whole audit log as text (to look for things that must not be there). */
  logText: string;
  setup: ModelSetup;
}

let logs = 0;
let projects = 0;

/** `[model]` keys as symbi.toml spells them (`max_retries`, `timeout = "300ms"`, ...). */
export type ModelToml = Record<string, string | number>;

/**
 * The model layers of a run: a project whose symbi.toml holds `settings` as its `[model]` (read by
 * config/, as the CLI reads it; no operator file), the environment, and `--model` if given.
 */
export function modelLayers(settings: ModelToml | undefined, env: Record<string, string>, flag?: string): ModelLayers {
  const dir = join(work, `project-${++projects}`);
  mkdirSync(dir, { recursive: true });
  if (settings !== undefined) writeFileSync(join(dir, "symbi.toml"), stringify({ model: settings }));
  const flags: Record<string, { value: unknown; flag: string }> =
    flag !== undefined ? { "model.model": { value: flag, flag: "--model" } } : {};
  return { config: loadConfig({ projectRoot: dir, env, flags, operatorFiles: [] }), env };
}

export interface RunOptions {
  /** `[model]` settings (default: quick retries and timeouts for tests). */
  settings?: ModelToml;
  /** `--model` (default PROVIDER:test-model); null for none. */
  flag?: string | null;
  env?: Record<string, string>;
  auditContent?: AuditContent;
  record?: string;
  replay?: string;
  signal?: AbortSignal;
  peers?: boolean;
}

/** Runs `agent` with `input` against `server` (or a replay), with a verified audit log. */
export async function runAgent(
  server: Pick<ModelServer, "protocol" | "baseUrl"> | undefined,
  agent: string,
  input: unknown,
  o: RunOptions = {},
): Promise<Ran> {
  const bundles = await fixture();
  const log = join(work, `run-${++logs}.log`);
  const setup = new ModelSetup({
    layers: modelLayers(
      { max_retries: 2, timeout: "10s", ...o.settings },
      o.env ?? (server ? envFor(server) : {}),
      o.flag === null ? undefined : (o.flag ?? `${server?.protocol ?? "openai"}:test-model`),
    ),
    ...(o.auditContent ? { auditContent: o.auditContent } : {}),
    ...(o.record ? { record: o.record } : {}),
    ...(o.replay ? { replay: o.replay } : {}),
    recorderName: "symbi test",
  });
  let result: ExecResult;
  try {
    result = await execAgent({
      bundle: bundles.get(agent)!,
      peers: o.peers === false ? new Map() : bundles,
      input,
      model: setup,
      approve: "none",
      auditLog: log,
      keyFile,
      onLog: () => {},
      ...(o.signal ? { signal: o.signal } : {}),
    });
  } finally {
    setup.finish();
  }
  const v = verifyLog(log, { publicKey });
  assert.ok(v.ok, `the audit log verifies: ${JSON.stringify(v.firstBad)}`);
  const logText = readFileSync(log, "utf8");
  const records = logText
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Rec);
  return { result, records, logText, setup };
}

export function ofType(records: Rec[], type: string): Rec[] {
  return records.filter((r) => r.type === type);
}

/** The tool results the model was sent in request `i` (OpenAI: `tool` messages; Anthropic: `tool_result` blocks), parsed. */
export function resultsSent(server: ModelServer, i: number): Array<Record<string, any>> {
  const body = server.requests[i]!.body as { messages: Array<{ role: string; content: unknown }> };
  const out: Array<Record<string, any>> = [];
  for (const m of body.messages) {
    if (m.role === "tool") out.push(JSON.parse(m.content as string));
    if (m.role === "user" && Array.isArray(m.content))
      for (const b of m.content as Array<{ type: string; content: string }>)
        if (b.type === "tool_result") out.push(JSON.parse(b.content));
  }
  return out;
}

/** Names of the functions offered in request `i`. */
export function offered(server: ModelServer, i: number): string[] {
  const tools = (server.requests[i]!.body.tools ?? []) as Array<{ name?: string; function?: { name: string } }>;
  return tools.map((t) => t.name ?? t.function!.name);
}

export const PROTOCOLS = ["openai", "anthropic"] as const;
