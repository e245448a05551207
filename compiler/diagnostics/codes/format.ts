import type { CodeTable } from "./table.js";

/** E0700–E0799: formatter. */
export const formatCodes: CodeTable = {
};
