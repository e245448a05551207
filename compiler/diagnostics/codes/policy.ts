import type { CodeTable } from "./table.js";

/** E0300–E0399 (and W0300–W0399): policies. */
export const policyCodes: CodeTable = {
};
