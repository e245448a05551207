import type { CodeTable } from "../../../grammar/diagnostic.js";

/** E0030–E0039: project membership (compiler/project/members.ts). */
export const projectCodes: CodeTable = {
  E0030: {
    severity: "error",
    title: "nested project",
    explanation:
      "A folder among a project's sources has its own project marker (`tools/` or `symbi.toml`), or a project's root lies among another project's sources. A path inside the inner folder is checked, built and run as the inner project — without the outer project's top-level policies — while the outer project counts the same files as its own. One empty `tools/` folder would silently drop every top-level deny. List the outer project's source folders in its `symbi.toml` (`[project] sources = [\"agents\", \"lib\"]`) so the inner project is not among them, or remove the inner marker.",
  },
};
