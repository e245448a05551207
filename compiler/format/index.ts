/** The formatter: a prettier plugin plus the library API the CLI and the language server use. */
export { default as plugin, languages, parsers, printers, defaultOptions } from "./plugin.js";
export { formatText, formatBytes, verifyFormatted, notFormattedDiagnostic, firstDifference } from "./format.js";
export type { FormatOutcome, Formatted, NotFormatted, FormatOptions } from "./format.js";
export { astDifference, commentDifference } from "./equivalence.js";
export { HOUSE_STYLE } from "./style.js";
export { SymbiontSyntaxError } from "./parse.js";
