import type { CodeTable } from "./table.js";

/** E0200–E0299 (and W0200–W0299): types. */
export const typesCodes: CodeTable = {
};
