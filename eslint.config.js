// Lint for the project's own TypeScript. Layer boundaries (DESIGN §2, "Layers") are enforced
// here for editors and again by test/architecture/layers.test.ts, which also checks folder cycles.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "vscode-extension/out/**",
      "vscode-extension/node_modules/**",
      "**/*.js",
      "**/*.mjs",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "off",
      "no-constant-condition": ["error", { checkLoops: false }],
      "no-control-regex": "off",
      // Walking a parent chain (`let s = this; while (s) s = s.parent`) is the clearest loop.
      "@typescript-eslint/no-this-alias": "off",
      "no-useless-assignment": "off",
      "preserve-caught-error": "off",
    },
  },
  { files: ["test/**/*.ts", "bench/**/*.ts"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
  {
    files: ["grammar/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["../*", "!./*"], message: "grammar/ imports nothing outside itself (DESIGN §2)" }] },
      ],
    },
  },
);
