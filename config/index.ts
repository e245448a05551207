/**
 * The configuration of both CLIs (config/README.md): `symbi.toml` in a project, the operator's
 * file, `SYMBIONT_*` variables and flags, validated against one schema built from the sections.
 */
export {
  loadConfig,
  operatorFilePaths,
  Config,
  PROJECT_CONFIG_FILE,
  CONFIG_PATH_ENV,
  SYSTEM_CONFIG_FILE,
  type ConfigSource,
  type LoadOptions,
  type LoadedFile,
  type Setting,
} from "./load.js";
export { ConfigError, type ConfigProblem } from "./errors.js";
export { showConfig, renderConfig, type ShownConfig, type ShownSetting } from "./show.js";
export { SECTIONS, security, tofu, bundles, model, projectSection, skills, mcp, toolVerification } from "./sections.js";
export {
  SKILL_RULE_ID_PATTERN,
  SKILL_SEVERITIES,
  parseSeverity,
  type SkillSeverity,
  type SkillRuleSetting,
  type SkillsSectionValues,
} from "./skills.js";
export {
  MODEL_PROVIDERS,
  isProvider,
  splitModelSpec,
  checkBaseUrl,
  type ProviderKind,
  type ModelSectionValues,
} from "./model.js";
export {
  readMcpServer,
  isLoopbackHost,
  DEFAULT_MCP_TIMEOUT_SECONDS,
  type McpServerSettings,
  type McpRiskTier,
  type ServerProblem,
  type McpSettings,
  type ToolsSettings,
} from "./mcp.js";
export { firstUseDecision, type FirstUseDecision, type TofuSettings } from "./tofu.js";
export {
  section,
  bool,
  int,
  text,
  choice,
  path,
  pathList,
  textList,
  tableList,
  num,
  durationKey,
  durationMs,
  type KeySpec,
  type SectionSpec,
  type SectionValues,
  type FileScope,
  type JsonSchema,
  type LocatedProblem,
} from "./schema.js";
