/**
 * `[project]`: what the project is. Only the project's own `symbi.toml` sets it
 * (compiler/project/members.ts refuses it from anywhere else): it describes the sources, not
 * the machine that runs them.
 */
import { pathList, section } from "./schema.js";

export const projectSection = section("project", "The project: which folders hold its sources.", {
  sources: pathList({
    doc: "The folders (relative to the project root) whose `.symbi` files belong to the project; by default, every folder under the root. Top-level policies in them govern every agent.",
  }),
});
