import { diagnosticFrom, type CodeTable, type Diagnostic, type DiagnosticInit } from "./diagnostic.js";

/** E0001–E0099: reading the file, lexing and parsing. */
export const syntaxCodes: CodeTable = {
  E0001: {
    severity: "error",
    title: "unexpected character",
    explanation: "The lexer met a character that starts no token of the language.",
  },
  E0002: { severity: "error", title: "invalid UTF-8", explanation: "Source files must be valid UTF-8." },
  E0003: {
    severity: "error",
    title: "unterminated string",
    explanation: 'A string literal was opened with `"` but never closed.',
  },
  E0004: {
    severity: "error",
    title: "file too large",
    explanation: "The file exceeds the maximum source size the compiler accepts.",
  },
  E0005: {
    severity: "error",
    title: "nesting too deep",
    explanation: "Expressions or blocks are nested deeper than the parser allows.",
  },
  E0009: {
    severity: "error",
    title: "more errors not shown",
    explanation:
      "A file reports at most a fixed number of diagnostics; this one counts the rest, errors among them. Fix the first ones and check again.",
  },
  W0009: {
    severity: "warning",
    title: "more warnings not shown",
    explanation:
      "A file reports at most a fixed number of diagnostics; this one counts the rest (warnings only). Fix the first ones and check again.",
  },
  E0010: { severity: "error", title: "syntax error", explanation: "The parser expected a different token here." },
  E0011: {
    severity: "error",
    title: "missing `;`",
    explanation: "`let`, `return`, assignment and expression statements end with `;`.",
  },
  E0012: {
    severity: "error",
    title: "unexpected `;`",
    explanation: "`if`, `for`, `match` and `try` statements are not followed by `;`.",
  },
  E0013: {
    severity: "error",
    title: "unclosed delimiter",
    explanation: "A `{`, `(` or `[` was not closed before the end of the file.",
  },
  E0014: {
    severity: "error",
    title: "unexpected top-level item",
    explanation:
      "Only metadata, agent, policy, type, function, schedule, channel, memory and webhook blocks may appear at top level.",
  },
  E0015: {
    severity: "error",
    title: "invalid agent item",
    explanation: "An agent body holds only capabilities, policy, function and with blocks.",
  },
  E0016: {
    severity: "error",
    title: "invalid separator",
    explanation: "This construct uses a different key/value separator (see LANGUAGE.md §1.1).",
  },
  E0017: {
    severity: "error",
    title: "invalid value",
    explanation:
      "Declarative values (metadata, with, schedule, memory, webhook) are literals, identifiers or arrays, never expressions.",
  },
  E0018: {
    severity: "error",
    title: "invalid assignment target",
    explanation: "Only variables, members and indexes can be assigned to.",
  },
  E0019: {
    severity: "error",
    title: "struct literal not allowed here",
    explanation:
      "A type literal `T { .. }` cannot stand directly in an `if`, `for` or `match` header; wrap it in parentheses.",
  },
};

/** A diagnostic of the front end (its codes are all in the table above). */
export function syntaxDiagnostic(init: DiagnosticInit): Diagnostic {
  return diagnosticFrom(syntaxCodes, init);
}
