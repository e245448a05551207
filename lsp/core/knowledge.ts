/**
 * What the editor offers for the declarative parts of the language: `with` attributes (names,
 * documentation, allowed values), the keys of metadata / schedule / channel / memory / webhook
 * blocks, and one-line documentation of keywords. Values mirror the checker's validation
 * (diagnostic codes E0400–E0405, W0400–W0401) and LANGUAGE.md §1.5 / Appendix D.
 */
import type { DeclKind } from "./completion-context.js";
import type { SettingSpec } from "../../compiler/check/settings-schema.js";
import { WITH_ATTRIBUTE_DECLS, WITH_ATTRIBUTES, type WithAttributeDecl } from "../../stdlib/with-attributes.js";

export type AttributeInfo = WithAttributeDecl;

/** Values to offer for an attribute, as source text (enumerations quoted). */
export function attributeValues(a: WithAttributeDecl): readonly string[] | undefined {
  return a.kind === "enum" ? a.values?.map((v) => JSON.stringify(v)) : a.values;
}

/** Every attribute the language knows (stdlib/with-attributes.ts). */
export const WITH_ATTRIBUTE_BY_NAME: ReadonlyMap<string, AttributeInfo> = WITH_ATTRIBUTES;
export const ALL_WITH_ATTRIBUTES: readonly AttributeInfo[] = WITH_ATTRIBUTE_DECLS;

export interface DeclKeyInfo {
  name: string;
  doc: string;
  values?: string[];
}

/** Keys of declarative blocks that the toolchain reads (LANGUAGE.md §1.5). */
export const DECL_KEYS: Readonly<Record<DeclKind, readonly DeclKeyInfo[]>> = {
  metadata: [
    { name: "version", doc: "Version of the agent package." },
    { name: "author", doc: "Author of the agents in this file." },
    { name: "description", doc: "What the agents do; shown by `symbi` and in hover." },
    { name: "tags", doc: "Keywords (an array of strings)." },
    { name: "executor", doc: '`"claude_code"` selects the managed-CLI path (Mode B).' },
    { name: "model", doc: "Model used by Mode B agents." },
    { name: "allowed_tools", doc: "Tools a Mode B agent may use (required by Mode B)." },
    { name: "system_prompt", doc: "System prompt of a Mode B agent." },
    { name: "policy_levels", doc: "Ordered levels for `<`/`>` comparisons of strings in guards, lowest first." },
  ],
  schedule: [
    { name: "cron", doc: "Cron expression (exactly one of `cron` or `at`)." },
    { name: "at", doc: "One-time RFC 3339 timestamp (exactly one of `cron` or `at`)." },
    { name: "timezone", doc: 'IANA time zone of the schedule (default `"UTC"`).' },
    { name: "agent", doc: "The agent to run." },
    { name: "policy", doc: "Policy applied to scheduled runs." },
    { name: "audit", doc: "Audit level of scheduled runs." },
    { name: "one_shot", doc: "`true` to run once.", values: ["true", "false"] },
    { name: "deliver", doc: "Where results are delivered." },
  ],
  channel: [
    {
      name: "platform",
      doc: "Chat platform (required): `slack`, `teams`, `mattermost`, ...",
      values: ['"slack"', '"teams"', '"mattermost"'],
    },
    { name: "workspace", doc: "Workspace or team of the platform." },
    { name: "channels", doc: "Channels to join (an array of strings)." },
    { name: "default_agent", doc: "Agent answering messages by default." },
    { name: "dlp_profile", doc: "Data-loss-prevention profile." },
    { name: "audit_level", doc: "Audit level of the channel." },
    { name: "default_deny", doc: "`true` to deny everything no rule allows.", values: ["true", "false"] },
  ],
  memory: [
    { name: "store", doc: "Storage backend: `markdown`.", values: ["markdown"] },
    { name: "path", doc: "Where entries are stored (default `data/agents`)." },
    { name: "retention", doc: "How long entries are kept (`90d`, default 90 days).", values: ["30d", "90d", "365d"] },
  ],
  webhook: [
    { name: "path", doc: "HTTP path the webhook listens on (required)." },
    {
      name: "provider",
      doc: "Signature scheme: `github`, `stripe`, `slack`, or anything else for a custom provider.",
      values: ["github", "stripe", "slack"],
    },
    { name: "secret", doc: 'Signing secret (a quoted `"vault://..."` reference).' },
    { name: "agent", doc: "The agent that handles requests." },
  ],
  search: [
    { name: "vector_weight", doc: "Weight of vector similarity in hybrid search (default 0.7)." },
    { name: "keyword_weight", doc: "Weight of keyword matching in hybrid search (default 0.3)." },
  ],
  filter: [
    { name: "json_path", doc: "JSON path into the request body." },
    { name: "equals", doc: "Accept only when the value at `json_path` equals this." },
    { name: "contains", doc: "Accept only when the value at `json_path` contains this." },
  ],
  data_classification: [],
};

export const KEYWORD_DOCS: Readonly<Record<string, string>> = {
  agent:
    "`agent name(params) -> Type { ... }` declares a governed agent: capabilities, policies, functions and `with` blocks.",
  policy:
    "`policy name { allow: ... deny: ... require: ... audit: ... }` — rules compiled to Cedar; default deny, a matching `deny` always wins.",
  allow: "`allow: <actions> [if <guard>]` permits matching actions (Cedar `permit`).",
  deny: "`deny: <actions> [if <guard>]` forbids matching actions; it overrides every allow (Cedar `forbid`).",
  require:
    "`require: <condition> [for <actions>]` denies the actions unless the condition holds; record entries are settings.",
  audit: "`audit: { ... }` configures what is logged; it never changes a decision.",
  capabilities: "`capabilities = [...]` lists what the agent may do; policy action patterns may name them.",
  with: '`with sandbox = "Tier1", timeout = 30s { ... }` runs the block under these sandbox settings.',
  function: "`function name(params) -> Type { ... }` declares a function.",
  type: "`type Name = { field: Type, ... }` declares a record type (or an alias of another type).",
  metadata: "`metadata { key = value }` describes the file's agents.",
  schedule: '`schedule name { cron = "...", agent = ... }` runs an agent on a schedule.',
  channel: '`channel name { platform = "slack", ... }` connects agents to a chat platform.',
  memory: "`memory name { store markdown, retention 90d }` declares a persistent memory store.",
  webhook: '`webhook name { path "/hook", provider github, agent handler }` receives HTTP events.',
  let: "`let name = value;` declares a block-scoped variable.",
  if: "`if condition { ... } else { ... }`; also `if let Some(x) = value { ... }`.",
  for: "`for item in list { ... }` loops over a list.",
  match: '`match value { "a" => ..., _ => ... }` picks the first arm whose pattern matches.',
  try: "`try { ... } catch (e) { ... }` — `e.kind` names the error (`PolicyDenied`, `ToolError`, ...).",
  catch: "`catch (e)` or `catch (ErrorType e)` handles errors raised in the `try` block.",
  return: "`return value;` ends the function or agent with a value.",
  not: "`not x` negates a boolean (same as `!x`).",
  in: "`x in list` tests membership.",
  else: "`else { ... }` or `else if ...`.",
};

/** Item keywords by context, with snippets. */
export const TOP_LEVEL_SNIPPETS: ReadonlyArray<[string, string]> = [
  ["agent", "agent ${1:name}(${2}) {\n\t$0\n}"],
  ["policy", "policy ${1:name} {\n\t$0\n}"],
  ["type", "type ${1:Name} = {\n\t$0\n}"],
  ["function", "function ${1:name}(${2}) {\n\t$0\n}"],
  ["metadata", "metadata {\n\t$0\n}"],
  ["schedule", 'schedule ${1:name} {\n\tcron = "${2:0 * * * *}"\n\tagent = ${3:agent}\n}'],
  ["channel", 'channel ${1:name} {\n\tplatform = "${2:slack}"\n\t$0\n}'],
  ["memory", "memory ${1:name} {\n\tstore markdown\n\tretention ${2:90d}\n}"],
  ["webhook", 'webhook ${1:name} {\n\tpath "${2:/hook}"\n\tagent ${3:agent}\n}'],
];

export const AGENT_ITEM_SNIPPETS: ReadonlyArray<[string, string]> = [
  ["capabilities", "capabilities = [${1}]"],
  ["policy", "policy ${1:name} {\n\t$0\n}"],
  ["function", "function ${1:name}(${2}) {\n\t$0\n}"],
  ["with", 'with sandbox = "${1|Tier1,Tier2,process|}", timeout = ${2:30s} {\n\t$0\n}'],
];

export const STATEMENT_SNIPPETS: ReadonlyArray<[string, string]> = [
  ["let", "let ${1:name} = $0;"],
  ["if", "if ${1:condition} {\n\t$0\n}"],
  ["for", "for ${1:item} in ${2:items} {\n\t$0\n}"],
  ["match", "match ${1:value} {\n\t${2:_} => $0,\n}"],
  ["try", "try {\n\t$0\n} catch (${1:e}) {\n\t\n}"],
  ["return", "return $0;"],
];

export const POLICY_VERBS: readonly string[] = ["allow", "deny", "require", "audit"];

/** A settings-schema kind in words (completion details, hover). */
export function settingKindText(spec: SettingSpec): string {
  const k = spec.kind;
  switch (k.kind) {
    case "enum":
      return `one of ${k.values.map((v) => `"${v}"`).join(", ")}`;
    case "int":
      return "a whole number";
    case "string-list":
      return "a list of strings";
    case "duration":
      return 'a duration ("30s", "5m")';
    case "size":
      return 'a size ("100MB")';
    case "rate":
      return 'a rate ("1000/hour")';
    case "tier":
      return 'a sandbox tier ("Tier1", "Tier2")';
    default:
      return k.kind;
  }
}
