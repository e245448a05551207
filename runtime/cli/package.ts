/** The toolchain's own package.json (its version, the Node versions it supports), found from this module. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface PackageJson {
  version: string;
  engines?: { node?: string };
}

let cached: PackageJson | null | undefined;

export function packageJson(): PackageJson | null {
  if (cached !== undefined) return cached;
  // package.json is two levels up from runtime/cli (sources) or three from dist/runtime/cli.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Partial<PackageJson> & {
        name?: string;
      };
      if (pkg.name === "symbiont-toolchain" && typeof pkg.version === "string") return (cached = pkg as PackageJson);
    } catch {
      /* keep looking upwards */
    }
    dir = dirname(dir);
  }
  return (cached = null);
}
