/** How the server names itself in `initialize` (the toolchain's version, shared with the CLIs). */
export { VERSION as SERVER_VERSION } from "../../compiler/version.js";
export const SERVER_NAME = "symbi-lsp";
