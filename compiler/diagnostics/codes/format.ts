import type { CodeTable } from "../../../grammar/diagnostic.js";

/** E0700–E0799: formatter. */
export const formatCodes: CodeTable = {
  E0700: {
    severity: "error",
    title: "file is not formatted",
    explanation:
      "`symbic fmt --check` found a file whose formatting differs from the house style (docs/style.md). Run `symbic fmt --write` on it.",
  },
  E0701: {
    severity: "error",
    title: "formatting would change the program",
    explanation:
      "The formatter checks its own output: the formatted text must parse to the same tree with the same comments. This check failed, so the file was left untouched. This is a formatter bug; please report it with the file.",
  },
  E0703: {
    severity: "error",
    title: "mixed line endings in a multi-line string",
    explanation:
      "The formatter writes every line ending in the style of the file's first one (a CRLF file stays CRLF). In a file that mixes styles, a string literal spanning lines would change its value, so the file was left untouched. Convert the file to one line-ending style.",
  },
  E0702: {
    severity: "error",
    title: "formatter failed",
    explanation:
      "The formatter stopped with an internal error on this file; the file was left untouched. This is a formatter bug; please report it with the file.",
  },
};
