import type { CodeTable } from "./table.js";

/** E0400–E0499 (and W0400–W0499): with blocks, sandbox settings and manifests. */
export const sandboxCodes: CodeTable = {
};
