/**
 * The configuration (issue 15): one schema for symbi.toml and the operator's file, precedence
 * flags > environment > operator files > project file > defaults, every key of the seed's
 * [security] and [tofu] and every SYMBIONT_* variable of the seed honoured or refused with a
 * located error, unknown keys refused with a did-you-mean, `config show` with sources and no
 * secrets. (What each honoured key does at run time is tested where it acts: settings.test.ts.)
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Config,
  ConfigError,
  SECTIONS,
  bool,
  firstUseDecision,
  loadConfig,
  operatorFilePaths,
  renderConfig,
  section,
  security,
  showConfig,
  text,
  tofu,
  type LoadOptions,
} from "../../config/index.js";
import { SHARED } from "../helpers/corpus.js";
import { findProjectRoot } from "../../compiler/project/root.js";

const work = mkdtempSync(join(tmpdir(), "symbi-config-"));
let n = 0;
/** A fresh folder holding `files` (name → text). */
function folder(files: Record<string, string>): string {
  const d = join(work, `d${++n}`);
  mkdirSync(d, { recursive: true });
  for (const [name, t] of Object.entries(files)) {
    mkdirSync(join(d, name, ".."), { recursive: true });
    writeFileSync(join(d, name), t);
  }
  return d;
}
const load = (o: LoadOptions) => loadConfig({ env: {}, operatorFiles: [], ...o });

function problems(o: LoadOptions): string[] {
  try {
    load(o);
  } catch (e) {
    assert.instance(e, ConfigError);
    return (e as ConfigError).lines;
  }
  assert.unreachable("expected a ConfigError");
  return [];
}

const P = suite("precedence and sources");

P("flags > environment > operator files (user over system) > project file > defaults, each with its source", () => {
  const project = folder({
    "symbi.toml": '[security]\naudit_signing_key = "project.key"\naudit_retention_days = 10\n',
  });
  const system = folder({
    "symbi.toml": '[security]\naudit_signing_key = "system.key"\naudit_retention_days = 20\ntls_min_version = "1.2"\n',
  });
  const user = folder({ "symbi.toml": '[security]\naudit_signing_key = "user.key"\ntls_min_version = "1.3"\n' });
  const files = [join(system, "symbi.toml"), join(user, "symbi.toml")];
  const env = { SYMBIONT_AUDIT_SIGNING_KEY: "env.key" };
  const flags = { "security.audit_signing_key": { value: "flag.key", flag: "--key" } };
  const key = (o: LoadOptions) => {
    const c = load({ projectRoot: project, cwd: "/cwd", ...o });
    const s = c.get("security", "audit_signing_key")!;
    return [s.value, Config.describe(s.source)];
  };
  assert.equal(key({ operatorFiles: files, env, flags }), ["/cwd/flag.key", "flag --key"]);
  assert.equal(key({ operatorFiles: files, env }), ["/cwd/env.key", "environment SYMBIONT_AUDIT_SIGNING_KEY"]);
  assert.equal(key({ operatorFiles: files }), [
    join(user, "user.key"),
    `operator file ${join(user, "symbi.toml")}:2:1`,
  ]);
  assert.equal(key({ operatorFiles: [files[0]!] }), [
    join(system, "system.key"),
    `operator file ${join(system, "symbi.toml")}:2:1`,
  ]);
  assert.equal(key({}), [join(project, "project.key"), `project file ${join(project, "symbi.toml")}:2:1`]);
  const c = load({ projectRoot: project, operatorFiles: files });
  assert.is(c.values(security).audit_retention_days, 20, "the system file overrides the project for another key");
  assert.is(c.values(security).tls_min_version, "1.3", "the user's file overrides the system's");
  assert.equal(c.get("security", "policy_enforcement_mode")!.source, { kind: "default" });
  assert.is(load({}).get("security", "audit_signing_key"), undefined, "unset without a default");
});

P("operator files: SYMBIONT_CONFIG alone when set, else /etc/symbi then the XDG config folder", () => {
  const xdg = folder({ "symbi/symbi.toml": "" });
  const paths = operatorFilePaths({ XDG_CONFIG_HOME: xdg, HOME: "/nonexistent" });
  assert.ok(paths.at(-1) === join(xdg, "symbi", "symbi.toml"));
  assert.equal(operatorFilePaths({ SYMBIONT_CONFIG: "/x/y.toml", XDG_CONFIG_HOME: xdg }), ["/x/y.toml"]);
  const missing = problems({ operatorFiles: operatorFilePaths({ SYMBIONT_CONFIG: join(work, "none.toml") }) });
  assert.match(missing[0]!, /none\.toml:1:1: cannot read: no such file or directory/);
  try {
    load({ operatorFiles: [join(work, "none.toml")] });
  } catch (e) {
    assert.is((e as ConfigError).exitCode, 1, "an unreadable file is an I/O error");
  }
});

P(
  "the project file is the project root's: the search stops at a repository root, a worktree's .git file included",
  () => {
    const outer = folder({ "symbi.toml": "[security]\naudit_retention_days = 5\n" });
    const repo = join(outer, "repo");
    mkdirSync(join(repo, "agents"), { recursive: true });
    writeFileSync(join(repo, ".git"), "gitdir: /elsewhere/.git/worktrees/repo\n");
    const root = findProjectRoot(join(repo, "agents"));
    assert.is(root, join(repo, "agents"), "not the outer folder's symbi.toml");
    assert.is(load({ projectRoot: root }).get("security", "audit_retention_days"), undefined);
    assert.is(load({ projectRoot: findProjectRoot(outer) }).values(security).audit_retention_days, 5);
  },
);

P("config show: every key with its value and source; secrets never printed", () => {
  const withSecret = section("model", "test section", {
    api_key: text({ doc: "a secret", secret: true, env: "SYMBIONT_TEST_API_KEY" }),
    verbose: bool({ doc: "not secret", default: false }),
  });
  const sections = [...SECTIONS, withSecret];
  const d = folder({ "symbi.toml": '[security]\naudit_retention_days = 30\n[model]\napi_key = "sk-very-secret"\n' });
  const c = load({ projectRoot: d, sections, env: { SYMBIONT_TEST_API_KEY: "sk-env-secret" } });
  const out = renderConfig(c);
  assert.match(out, new RegExp(`audit_retention_days = 30  # project file ${d}/symbi.toml:2:1`));
  assert.ok(out.includes("api_key = <set, not shown>  # environment SYMBIONT_TEST_API_KEY\n"), out);
  assert.ok(out.includes('policy_enforcement_mode = "strict"  # default\n'), out);
  assert.match(out, /# audit_storage_path \(not set\)/);
  const json = JSON.stringify(showConfig(c));
  for (const t of [out, json]) assert.not.match(t, /sk-(very|env)-secret/);
  assert.equal(
    showConfig(c).settings.find((s) => s.key === "model.api_key"),
    { key: "model.api_key", set: true, secret: true, source: "environment SYMBIONT_TEST_API_KEY" },
  );
});

const U = suite("unknown keys and bad values: located errors, did-you-mean");

U(
  "unknown sections, keys and SYMBIONT_* variables are errors with a suggestion; all problems reported together",
  () => {
    const d = folder({
      "symbi.toml": "[security]\naudit_enable = true\n\n[secrity]\nx = 1\n[tofu]\nenabeld = false\n",
    });
    const lines = problems({ projectRoot: d, env: { SYMBIONT_AUDIT_STORAG: "/x", SYMBIONT_FROBNICATE: "1" } });
    const f = join(d, "symbi.toml");
    assert.equal(lines, [
      `${f}:2:1: unknown key security.audit_enable (did you mean audit_enabled?)`,
      `${f}:4:1: unknown section [secrity] (did you mean security?)`,
      `${f}:7:1: unknown key tofu.enabeld (did you mean enabled?)`,
      "environment SYMBIONT_AUDIT_STORAG: SYMBIONT_AUDIT_STORAG is not a setting (did you mean SYMBIONT_AUDIT_STORAGE?)",
      "environment SYMBIONT_FROBNICATE: SYMBIONT_FROBNICATE is not a setting",
    ]);
  },
);

U("wrong types, ranges, choices and TOML syntax are located", () => {
  const d = folder({
    "symbi.toml":
      '[security]\naudit_enabled = "yes"\naudit_retention_days = 0\ntls_min_version = "1.0"\ndefault_sandbox_tier = "Tier9"\n[bundles]\ntrusted_keys = "k.pub"\n',
  });
  const f = join(d, "symbi.toml");
  assert.equal(problems({ projectRoot: d }), [
    `${f}:2:1: security.audit_enabled must be a boolean`,
    `${f}:3:1: security.audit_retention_days must be at least 1`,
    `${f}:4:1: security.tls_min_version must be one of "1.2", "1.3"`,
    `${f}:5:1: security.default_sandbox_tier must be one of "tier1", "tier2", "docker", "gvisor", "process" (any case)`,
    `${f}:7:1: bundles.trusted_keys must be a list`,
  ]);
  const bad = folder({ "symbi.toml": "[security]\naudit_enabled = tru\n" });
  assert.match(problems({ projectRoot: bad })[0]!, new RegExp(`${bad}/symbi.toml:2:\\d+: not valid TOML`));
  const e = (() => {
    try {
      load({ projectRoot: d });
    } catch (err) {
      return err as ConfigError;
    }
    return null;
  })()!;
  assert.is(e.exitCode, 3);
  assert.match(e.message, /\(and 4 more configuration problems\)/);
});

/** The seed document's configuration section: its [security] and [tofu] keys and its variables. */
function seedConfiguration(): { keys: Record<string, string[]>; env: string[] } {
  const doc = readFileSync(join(SHARED, "seed/security-model.ja.md"), "utf8");
  const toml = doc.slice(doc.indexOf("```toml\n[security]") + 8);
  const block = toml.slice(0, toml.indexOf("```"));
  const keys: Record<string, string[]> = {};
  let current = "";
  for (const line of block.split("\n")) {
    const h = /^\[(\w+)\]/.exec(line);
    if (h) keys[(current = h[1]!)] = [];
    const k = /^(\w+)\s*=/.exec(line);
    if (k) keys[current]!.push(k[1]!);
  }
  const env = [...new Set([...doc.matchAll(/export (SYMBIONT_\w+)=/g)].map((m) => m[1]!))];
  return { keys, env };
}

/**
 * Every seed key and variable: set to the seed's own value, it is honoured (it is in the
 * effective configuration, from that source) or refused with a located error that says what to
 * use instead. `refused` lists the ones refused here (with a word the message must contain).
 */
const REFUSED_SEED_VALUES: Record<string, RegExp> = {
  "security.crypto_provider": /Node's crypto.*set "node"/,
  "security.encryption_algorithm": /encrypts nothing/,
  "security.hsm_enabled": /no HSM key store.*audit_signing_key/,
  "security.hsm_config_path": /no HSM key store/,
  "security.audit_compression": /plain JSON Lines/,
  "security.sandbox_escape_detection": /no escape detector.*gvisor/,
  "security.certificate_pinning": /not pinned.*\[tofu\]/,
  "security.policy_violation_action": /denied and recorded.*log_only/,
  SYMBIONT_CRYPTO_PROVIDER: /Node's crypto/,
  SYMBIONT_KEY_STORE_TYPE: /no HSM key store/,
  SYMBIONT_HSM_CONFIG_PATH: /no HSM key store/,
};

const S = suite("the seed's [security], [tofu] and SYMBIONT_* settings: honoured or refused, never ignored");
const SEED_DOC = join(SHARED, "seed/security-model.ja.md");
// Read from ../shared beside the clone; skipped visibly where it is absent.
const ST = existsSync(SEED_DOC) ? S : S.skip;
if (!existsSync(SEED_DOC)) console.log(`  seed configuration tests skipped: ${SEED_DOC} not found`);

ST("the seed's configuration section is read from the seed document", () => {
  const seed = seedConfiguration();
  assert.ok(seed.keys.security!.length >= 18 && seed.keys.tofu!.length === 4, JSON.stringify(seed.keys));
  assert.ok(seed.env.length >= 9, JSON.stringify(seed.env));
});

ST(
  "every seed key, set to the seed's value in the operator's file: honoured with its source, or refused at its line",
  () => {
    const doc = readFileSync(join(SHARED, "seed/security-model.ja.md"), "utf8");
    const toml = doc.slice(doc.indexOf("```toml\n[security]") + 8);
    const block = toml.slice(0, toml.indexOf("```"));
    const seed = seedConfiguration();
    const lines = block.split("\n");
    for (const [sectionName, keys] of Object.entries(seed.keys)) {
      for (const key of keys) {
        const id = `${sectionName}.${key}`;
        const line = lines.find((l) => new RegExp(`^${key}\\s*=`).test(l))!;
        const d = folder({ "op.toml": `[${sectionName}]\n${line}\n` });
        const file = join(d, "op.toml");
        const refusal = REFUSED_SEED_VALUES[id];
        if (refusal) {
          const p = problems({ operatorFiles: [file] });
          assert.is(p.length, 1, id);
          assert.match(p[0]!, new RegExp(`^${file}:2:1: ${id.replace(".", "\\.")} = .* is refused: `), id);
          assert.match(p[0]!, refusal, id);
        } else {
          const c = load({ operatorFiles: [file] });
          const s = c.get(sectionName, key);
          assert.ok(s, `${id} is a key of the schema`);
          assert.equal(s!.source, { kind: "file", scope: "operator", file, line: 2, col: 1 }, id);
        }
      }
    }
  },
);

ST(
  "every seed SYMBIONT_* variable, set to the seed's value: honoured from the environment, or refused naming it",
  () => {
    const doc = readFileSync(join(SHARED, "seed/security-model.ja.md"), "utf8");
    for (const name of seedConfiguration().env) {
      const value = new RegExp(`export ${name}=(\\S+)`).exec(doc)![1]!;
      const refusal = REFUSED_SEED_VALUES[name];
      if (refusal) {
        const p = problems({ env: { [name]: value } });
        assert.is(p.length, 1, name);
        assert.match(p[0]!, new RegExp(`^environment ${name}: `), name);
        assert.match(p[0]!, refusal, name);
      } else {
        const c = load({ env: { [name]: value } });
        const s = [...c.settings.values()].find((x) => x.source.kind === "env" && x.source.name === name);
        assert.ok(s, `${name} sets a key`);
      }
    }
  },
);

S("seed values are read as the seed means them: gvisor is Tier2, 2555 retention days, strict enforcement", () => {
  const c = load({
    env: {
      SYMBIONT_DEFAULT_SANDBOX_TIER: "gvisor",
      SYMBIONT_AUDIT_RETENTION_DAYS: "2555",
      SYMBIONT_POLICY_ENFORCEMENT: "strict",
      SYMBIONT_AUDIT_ENABLED: "true",
      SYMBIONT_TOFU_ENABLED: "true",
      SYMBIONT_AUDIT_STORAGE: "/var/audit/symbiont",
    },
  });
  const s = c.values(security);
  assert.equal(
    [s.default_sandbox_tier, s.audit_retention_days, s.policy_enforcement_mode, s.audit_enabled, s.audit_storage_path],
    ["tier2", 2555, "strict", true, "/var/audit/symbiont"],
  );
  assert.is(c.values(tofu).enabled, true);
  assert.is(load({ env: { SYMBIONT_DEFAULT_SANDBOX_TIER: "Docker" } }).values(security).default_sandbox_tier, "tier1");
});

S("the default tier can never be the process tier", () => {
  const p = problems({ env: { SYMBIONT_DEFAULT_SANDBOX_TIER: "process" } });
  assert.match(p[0]!, /cannot be "process": a block that names no tier runs at least in Tier1/);
});

const O = suite("operator-only settings");

O(
  "log_only, audit off and unsigned bundles are refused from a project file (even when the operator sets them too)",
  () => {
    const d = folder({
      "symbi.toml":
        '[security]\npolicy_enforcement_mode = "log_only"\naudit_enabled = false\n[bundles]\nallow_unsigned = true\n',
    });
    const f = join(d, "symbi.toml");
    const expected = [
      `${f}:2:1: security.policy_enforcement_mode = "log_only" may only be set by the operator (the operator's file, SYMBIONT_POLICY_ENFORCEMENT), never by a project`,
      `${f}:3:1: security.audit_enabled = false may only be set by the operator (the operator's file, SYMBIONT_AUDIT_ENABLED), never by a project`,
      `${f}:5:1: bundles.allow_unsigned = true may only be set by the operator (the operator's file, SYMBIONT_ALLOW_UNSIGNED_BUNDLES, --allow-unsigned), never by a project`,
    ];
    assert.equal(problems({ projectRoot: d }), expected);
    assert.equal(problems({ projectRoot: d, env: { SYMBIONT_POLICY_ENFORCEMENT: "log_only" } }), expected);
    // The same values from the operator are accepted; the other values from a project are too.
    const op = folder({ "op.toml": '[security]\npolicy_enforcement_mode = "log_only"\naudit_enabled = false\n' });
    const c = load({ operatorFiles: [join(op, "op.toml")], env: { SYMBIONT_ALLOW_UNSIGNED_BUNDLES: "1" } });
    assert.equal([c.values(security).policy_enforcement_mode, c.values(security).audit_enabled], ["log_only", false]);
    const fine = folder({ "symbi.toml": '[security]\npolicy_enforcement_mode = "strict"\naudit_enabled = true\n' });
    assert.is(load({ projectRoot: fine }).values(security).audit_enabled, true);
  },
);

const T = suite("[tofu]: the first-use decision every pin store makes");

T("enabled, key_verification_required, trust_on_first_use_timeout_hours and automatic_key_pinning each decide", () => {
  const now = Date.UTC(2025, 5, 1);
  const s = (over: object) => ({ ...load({}).values(tofu), ...over });
  const fresh = { verified: true, firstSeenMs: now };
  assert.equal(firstUseDecision(s({ automatic_key_pinning: true }), fresh, now), { action: "pin" });
  assert.is(firstUseDecision(s({}), fresh, now).action, "ask", "automatic pinning is off by default");
  assert.match(
    (firstUseDecision(s({ enabled: false, automatic_key_pinning: true }), fresh, now) as { reason: string }).reason,
    /disabled/,
  );
  assert.match(
    (firstUseDecision(s({ automatic_key_pinning: true }), { ...fresh, verified: false }, now) as { reason: string })
      .reason,
    /key_verification_required/,
  );
  assert.equal(
    firstUseDecision(
      s({ automatic_key_pinning: true, key_verification_required: false }),
      { ...fresh, verified: false },
      now,
    ),
    { action: "pin" },
  );
  const old = { verified: true, firstSeenMs: now - 25 * 3_600_000 };
  assert.match(
    (firstUseDecision(s({ automatic_key_pinning: true }), old, now) as { reason: string }).reason,
    /more than 24 h/,
  );
  assert.equal(firstUseDecision(s({ automatic_key_pinning: true, trust_on_first_use_timeout_hours: 0 }), old, now), {
    action: "pin",
  });
});

T.after(() => rmSync(work, { recursive: true, force: true }));
for (const s of [P, U, S, O, T]) s.run();
