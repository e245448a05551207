/** Tool contracts (ToolClad `.clad.toml`): public API of the loader and model. */
export * from "./model.js";
export {
  loadContracts,
  loadContractSources,
  contractFiles,
  readContractText,
  MAX_CONTRACT_BYTES,
  type LoadContractsResult,
  type SourceFile,
} from "./load.js";
export {
  parseContract,
  contractStem,
  DEFAULT_TIMEOUT_SECONDS,
  type ParseContractOptions,
  type ParseContractResult,
} from "./parse.js";
export { parseCustomTypes, type CustomTypesResult } from "./custom-types.js";
export { argValueKind, returnSchema, ENVELOPE_FIELDS, type ArgValueKind } from "./signature.js";
export {
  checkValue,
  stripHiddenContent,
  forbiddenCharacter,
  SHELL_METACHARACTERS,
  MAX_VALUE_LENGTH,
  type ValueConstraints,
  type ValueCheck,
} from "./values.js";
export { tokenizeTemplate, parseExecElement, type TemplateWord, type TemplatePart } from "./template.js";
export { parseWhen, evaluateWhen, whenNames } from "./when.js";
export { fragmentTable, mappingFragmentNames, type FragmentRef } from "./fragments.js";
export { schemaValidator, formatSchemaErrors } from "./json-schema.js";
