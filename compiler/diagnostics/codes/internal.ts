import type { CodeTable } from "../../../grammar/diagnostic.js";

/** E0900–E0999: internal failures, reported where they happened instead of ending the run. */
export const internalCodes: CodeTable = {
  E0900: {
    severity: "error",
    title: "checker failed on this file",
    explanation:
      "The checker stopped with an internal error on this file. The other files of the project were still checked; this file counts as not checked (an error). This is a checker bug; please report it with the file.",
  },
};
