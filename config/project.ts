/**
 * `[project]`: what the project is. Only the project's own `symbi.toml` sets it (`projectOnly`:
 * the loader refuses it from an operator file): it describes the sources, not the machine that
 * runs them. compiler/project/members.ts reads it.
 */
import { pathList, section } from "./schema.js";

export const projectSection = section("project", "The project: which folders hold its sources.", {
  sources: pathList({
    projectOnly: true,
    doc: "The folders (relative to the project root) whose `.symbi` files belong to the project; by default, every folder under the root. Top-level policies in them govern every agent.",
  }),
});
