import { readFileSync } from "node:fs";

interface PackageFacts {
  version: string;
  engines?: { node?: string };
}

/** The toolchain's package.json, read once (works from sources and from dist/). */
function readPackage(): PackageFacts {
  // compiler/version.ts in the sources, dist/compiler/version.js when built.
  for (const rel of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as Partial<PackageFacts> & {
        name?: string;
      };
      if (pkg.name === "symbiont-toolchain" && pkg.version) return pkg as PackageFacts;
    } catch {
      // try the next location
    }
  }
  return { version: "0.0.0" };
}

const PACKAGE = readPackage();

/**
 * Set by the VS Code packager (scripts/package-vscode.mjs, esbuild `define`) in the bundled
 * server, whose package.json is the extension's: without it the bundle would report 0.0.0.
 */
declare const __SYMBI_VERSION__: string | undefined;

/** The toolchain version. */
export const VERSION: string = typeof __SYMBI_VERSION__ === "string" ? __SYMBI_VERSION__ : PACKAGE.version;

/** The Node.js versions the toolchain supports (package.json `engines.node`), e.g. ">=20.19 <25". */
export const SUPPORTED_NODE: string | undefined = PACKAGE.engines?.node;
