/**
 * The code table. Each area keeps its codes in its own file (so areas can grow independently);
 * this index merges them and is the only place code lookups go through.
 */
import { fallbackInfo, type CodeInfo, type CodeTable } from "../../../grammar/diagnostic.js";
import { syntaxCodes } from "../../../grammar/syntax-codes.js";
import { namesCodes } from "./names.js";
import { typesCodes } from "./types-codes.js";
import { policyCodes } from "./policy.js";
import { sandboxCodes } from "./sandbox.js";
import { contractsCodes } from "./contracts.js";
import { buildCodes } from "./build.js";
import { formatCodes } from "./format.js";
import { internalCodes } from "./internal.js";
import { projectCodes } from "./project.js";
import { mcpCodes } from "./mcp.js";
import { testsCodes } from "./tests.js";

export type { CodeInfo, CodeTable } from "../../../grammar/diagnostic.js";

function merge(tables: CodeTable[]): CodeTable {
  const all: CodeTable = {};
  for (const t of tables) {
    for (const [code, info] of Object.entries(t)) {
      if (all[code]) throw new Error(`diagnostic code ${code} is defined twice`);
      all[code] = info;
    }
  }
  return all;
}

export const CODES: CodeTable = merge([
  syntaxCodes,
  namesCodes,
  typesCodes,
  policyCodes,
  sandboxCodes,
  contractsCodes,
  buildCodes,
  formatCodes,
  internalCodes,
  projectCodes,
  mcpCodes,
  testsCodes,
]);

export function codeInfo(code: string): CodeInfo {
  const info = CODES[code];
  return info ?? fallbackInfo(code);
}
