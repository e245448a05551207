import type { CodeTable } from "./table.js";

/** E0100–E0199 (and W0100–W0199): name resolution and scopes. */
export const namesCodes: CodeTable = {
};
