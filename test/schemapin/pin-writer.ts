/**
 * Child process for the trust-store crash and race tests: pins `count` tools (named
 * `PREFIX-i`) of one domain into the store at argv[2], as fast as it can.
 */
import { TrustStore } from "../../schemapin/pins.js";

const [path, prefix, countText] = process.argv.slice(2);
const count = Number(countText);
for (let i = 0; i < count; i++) {
  const fp = `sha256:${(i % 16).toString(16).repeat(64)}`;
  new TrustStore(path!).checkAndPin("example.com", `${prefix}-${i}`, fp);
}
process.stdout.write("done\n");
