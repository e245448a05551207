/**
 * `npm run grammar:sync`: rewrites the built-in name lists of the TextMate grammar
 * (grammar/symbiont.tmLanguage.json) from the stdlib table, so highlighting never drifts from
 * the names the checker and runtime know. test/vscode/grammar.test.ts fails when they differ.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BUILTIN_FUNCTIONS, BUILTIN_TYPES, BUILTIN_VALUES } from "../stdlib/index.js";

const path = fileURLToPath(new URL("../grammar/symbiont.tmLanguage.json", import.meta.url));
const text = readFileSync(path, "utf8");
const primitives = new Set(["String", "bool", "float", "int"]);

const lists: Record<string, string[]> = {
  "support.function.builtin.symbiont": [...BUILTIN_FUNCTIONS.keys()],
  "support.constant.builtin.symbiont": [...BUILTIN_VALUES.keys()],
  "support.type.builtin.symbiont": [...BUILTIN_TYPES.keys()].filter((t) => !primitives.has(t)),
};

let out = text;
for (const [scope, words] of Object.entries(lists)) {
  // Each rule is `"match": "...(?:a|b|c)...", "name": "<scope>"` on consecutive lines.
  const re = new RegExp(
    `("match": "[^"\\n]*?\\(\\?:)([A-Za-z0-9_|]+)(\\)[^\\n]*\\n\\s*"name": "${scope.replace(/\./g, "\\.")}")`,
  );
  if (!re.test(out)) throw new Error(`grammar rule for ${scope} not found`);
  out = out.replace(re, (_m, pre: string, _old: string, post: string) => `${pre}${words.join("|")}${post}`);
}
if (out !== text) {
  writeFileSync(path, out);
  console.log("grammar/symbiont.tmLanguage.json: built-in names updated from stdlib");
} else {
  console.log("grammar/symbiont.tmLanguage.json: already in sync with stdlib");
}
