import type { CodeTable } from "./table.js";

/** E0600–E0699 (and W0600–W0699): compilation to Cedar and bundles. */
export const buildCodes: CodeTable = {
};
