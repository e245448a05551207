/**
 * What the reasoning loop needs to know of the run it serves, as interfaces: runtime/exec
 * implements them (a Bundle is a ReasoningAgent; its AuditSink is an AuditEmitter) and calls
 * into this folder, never the other way round, so the two folders do not form a cycle.
 */
import type { ToolContract } from "../../compiler/contracts/model.js";
import type { TypeRef } from "../../grammar/ast.js";
import type { JsonValue } from "../../formats/json.js";

/** An agent as compiled: its policies (for what is offered), contracts, parameters and model. */
/** A peer agent: loaded, or loaded on first use (a broken sibling stops only the runs that need it). */
export type PeerAgent = ReasoningAgent | (() => ReasoningAgent);

export interface ReasoningAgent {
  agent: string;
  /** policy.cedar, the Cedar schema (JSON) and policies.json (the context model). */
  policies: { policy: string; schema: unknown; policiesJson: unknown };
  contracts: ReadonlyMap<string, ToolContract>;
  manifest: { model?: string };
  /** The agent's parameters (its input, as a delegation's message fills it). */
  ir: { agent: { params: ReadonlyArray<{ local: { name: string }; type: TypeRef; optional: boolean }> } };
}

/**
 * A skill the run gives the model in `reason` (runtime/exec/skills.ts reads it and checks it
 * against the bundle's pin before the run starts).
 */
export interface ReasoningSkill {
  /** The folder, relative to the project root. */
  folder: string;
  name: string;
  description: string;
  /** The pinned root hash, `sha256:<hex>` (what the audit log records). */
  hash: string;
  /** SKILL.md after its front matter. */
  instructions: string;
  /** When signatures are required: who signed it (recorded with the skill). */
  signedBy?: { domain: string; fingerprint: string };
}

/** Where audit events go (runtime/exec's AuditSink). */
export interface AuditEmitter {
  emit(type: string, details: { [key: string]: JsonValue | undefined }): void;
}

/** A tool as `invoke_tool(tool)` policies see it (runtime/exec's toolInfo). */
export type ToolInfoOf = (c: ToolContract) => Record<string, string | boolean>;
