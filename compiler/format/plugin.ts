/**
 * The prettier plugin for Symbiont (`symbiontoolchain/prettier-plugin`, built to
 * dist/compiler/format/plugin.js). `symbic fmt` formats through this same plugin.
 *
 *     npx prettier --plugin ./dist/compiler/format/plugin.js --write "agents/*.symbi"
 */
import type { Plugin, SupportLanguage } from "prettier";
import { parser } from "./parse.js";
import { printer } from "./printer.js";
import { HOUSE_STYLE } from "./style.js";
import type { PNode } from "./comments.js";

export const languages: SupportLanguage[] = [
  {
    name: "Symbiont",
    parsers: ["symbiont"],
    extensions: [".symbi", ".dsl"],
    vscodeLanguageIds: ["symbiont"],
  },
];

export const parsers = { symbiont: parser };

export const printers = { "symbiont-ast": printer };

export const defaultOptions = { ...HOUSE_STYLE };

const plugin: Plugin<PNode> = { languages, parsers, printers, defaultOptions };
export default plugin;
