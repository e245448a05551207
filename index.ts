/** Public API of the package: the front end, the diagnostics model. Other parts export their own modules. */
export * from "./grammar/index.js";
export * from "./compiler/diagnostics/model.js";
export { renderDiagnostics, DIAGNOSTIC_FORMATS, type DiagnosticFormat } from "./compiler/diagnostics/render.js";
