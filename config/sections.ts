/**
 * Every section of `symbi.toml` and the operator file. Adding a section (`[model]`, `[mcp]`,
 * `[skills]`, ...) is one module beside `security.ts` and one entry here; the loader, the JSON Schema,
 * `symbi config show` and the unknown-key checks take it from this list.
 */
import type { SectionSpec } from "./schema.js";
import { bundles } from "./bundles.js";
import { model } from "./model.js";
import { projectSection } from "./project.js";
import { security } from "./security.js";
import { skills } from "./skills.js";
import { tofu } from "./tofu.js";
import { mcp, toolVerification } from "./mcp.js";

export { bundles, model, projectSection, security, skills, tofu, mcp, toolVerification };

export const SECTIONS: readonly SectionSpec[] = [
  projectSection,
  security,
  tofu,
  bundles,
  model,
  skills,
  mcp,
  toolVerification,
];
