/**
 * What an agent's policies require of its audit records (compiler/check/settings-schema.ts, the
 * `audit: { ... }` settings and `require: audit_trail`), read from the bundle's policies.json:
 *
 *   any audit setting, audit_trail   the run is recorded in a signed audit log: without one it is
 *                                    refused before it starts (a test run with tool doubles, which
 *                                    acts on nothing, is exempt)
 *   compliance_tags: [..]            copied into every record of the run (`details.compliance_tags`)
 *   content_filtering: true,         contents stay out of the records: arguments, argv, inputs,
 *   include_<content>: false         outputs, prompts and responses are recorded as SHA-256 hashes,
 *                                    whatever `--audit-content` says
 *
 * The other audit settings are true of every audited run (log_level, retention_days, trace_id,
 * include_policy_decisions, ...) or E0311 at check time. A value this runtime cannot read (a
 * bundle not made by this compiler) refuses the run: fail closed, never ignored.
 */
import { createHash } from "node:crypto";
import type { JsonValue } from "../../formats/json.js";
import type { PolicySettingEntry } from "../../formats/policies-json.js";
import { INCLUDE_RECORDED_ITEM } from "../../stdlib/audit-items.js";
import type { AuditDetails } from "./audit-sink.js";

export interface AuditRequirements {
  /** The settings that require the run to be audited, as `id (file:line)`; empty when none does. */
  readonly requiredBy: readonly string[];
  /** Tags every record of the run carries (sorted, without repeats). */
  readonly complianceTags: readonly string[];
  /** The setting that keeps contents out of the records, when one does. */
  readonly contentFilteredBy?: string;
}

/** A setting the runtime cannot read: the run is refused (the caller reports it as a bundle error). */
export class AuditSettingError extends Error {
  override readonly name = "AuditSettingError";
}

export function auditRequirements(settings: readonly PolicySettingEntry[]): AuditRequirements {
  const requiredBy: string[] = [];
  const tags = new Set<string>();
  let contentFilteredBy: string | undefined;
  for (const s of settings) {
    const where = `${s.id} (${s.file}:${s.line})`;
    if (s.kind === "require") {
      if ("audit_trail" in s.settings) requiredBy.push(where);
      continue;
    }
    requiredBy.push(where);
    for (const [key, v] of Object.entries(s.settings)) {
      if (key === "compliance_tags") {
        if (!Array.isArray(v) || !v.every((t): t is string => typeof t === "string"))
          throw new AuditSettingError(`${where}: compliance_tags ${JSON.stringify(v)} is not a list of strings`);
        for (const t of v) tags.add(t);
      } else if (key === "content_filtering" || (key.startsWith("include_") && !INCLUDE_RECORDED_ITEM.test(key))) {
        if (typeof v !== "boolean")
          throw new AuditSettingError(`${where}: ${key} ${JSON.stringify(v)} is not a boolean`);
        const filters = key === "content_filtering" ? v : !v;
        if (filters && contentFilteredBy === undefined) contentFilteredBy = `${where}: ${key} = ${String(v)}`;
      }
    }
  }
  return {
    requiredBy,
    complianceTags: [...tags].sort(),
    ...(contentFilteredBy !== undefined ? { contentFilteredBy } : {}),
  };
}

/**
 * Detail fields that carry contents: tool arguments and argv, model requests, responses and
 * proposed arguments (`--audit-content full`), and the agent's own `log` messages. With content
 * filtering each becomes `{ sha256 }` of its JSON text, so the record still proves what was there.
 */
const CONTENT_FIELDS: ReadonlySet<string> = new Set(["args", "argv", "arguments", "content", "request", "response"]);

const isContent = (type: string, key: string) => CONTENT_FIELDS.has(key) || (type === "log" && key === "message");

/** The details of one record as the requirements want them: contents hashed, tags added. */
export function applyAuditRequirements(req: AuditRequirements, type: string, details: AuditDetails): AuditDetails {
  if (req.contentFilteredBy === undefined && req.complianceTags.length === 0) return details;
  const out: AuditDetails = {};
  for (const [k, v] of Object.entries(details)) {
    out[k] = req.contentFilteredBy !== undefined && v !== undefined && isContent(type, k) ? digest(v) : v;
  }
  if (req.complianceTags.length > 0) out["compliance_tags"] = [...req.complianceTags];
  return out;
}

function digest(v: JsonValue): JsonValue {
  return { sha256: createHash("sha256").update(JSON.stringify(v), "utf8").digest("hex") };
}
