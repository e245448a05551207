/**
 * The checker's public API: name resolution, types and policies for a project of `.symbi`
 * files and tool contracts. Used by `symbic check` (compiler/pipeline/check-files.ts), the language server (Project,
 * incremental), `symbic build` (agents, policies, with settings) and the runtime.
 */
export { Project, isContractPath, type AgentInfo, type CheckResult, type ProjectOptions } from "./project.js";
export { SymbolTable, type SymbolInfo, type SymbolKind, type Reference, type LocalBinding } from "./symbols.js";
export { T, typeToString, assignable, type Type, type FnParam, type StructDef, type TypeEnv } from "./types.js";
export {
  GlobalEnv,
  OVERRIDABLE_TYPES,
  type AgentDecl,
  type FunctionInfo,
  type ParamInfo,
  type GroupInfo,
} from "./globals.js";
export type {
  PolicyInfo,
  RuleInfo,
  ActionPattern,
  ActionRef,
  ActionKind,
  BinderInfo,
  LiteralConstraint,
  ApprovalRequirement,
} from "./policies.js";
export { durationLiteral, type WithSettings, type AttributeValue } from "./with-block.js";
export {
  REQUIRE_SETTINGS,
  AUDIT_SETTINGS,
  REQUIRE_PATTERNS,
  AUDIT_PATTERNS,
  specFor,
  parseDurationText,
  parseSizeText,
  parseRateText,
  tierRank,
  tierName,
  type SettingEntry,
  type SettingSpec,
  type SettingKind,
  type SettingValue,
} from "./settings-schema.js";
export { toolSignature, schemaType, argType, type ToolSignature } from "./tools.js";
export { builtinFunction, builtinMethod, builtinField, builtinMemberNames, fromTypeExpr } from "./stdlib-types.js";
export { closestName, didYouMean } from "../../grammar/suggest.js";
export { findProjectRoot, isProjectRoot } from "../project/root.js";
