/**
 * `[bundles]`: which bundle signatures `symbi exec` trusts, whether unsigned bundles may run, and
 * the key `symbic build` signs with (docs/bundle.md, "Signatures").
 */
import { bool, path, pathList, section } from "./schema.js";

export const bundles = section("bundles", "Bundle signatures: the keys trusted to sign what runs.", {
  trusted_keys: pathList({
    doc: "Public key files (symbi keygen's .pub) whose bundle signatures `symbi exec` accepts.",
    env: "SYMBIONT_TRUSTED_BUNDLE_KEYS",
    flag: "--trust",
  }),
  allow_unsigned: bool({
    doc: "Run bundle folders that carry no signature (a warning and an audit record each time); only from the operator.",
    env: "SYMBIONT_ALLOW_UNSIGNED_BUNDLES",
    flag: "--allow-unsigned",
    operatorOnly: (v) => v === true,
  }),
  signing_key: path({
    doc: "The private key `symbic build` signs bundles with (writes bundle.sig).",
    env: "SYMBIONT_BUNDLE_SIGNING_KEY",
    flag: "--sign",
  }),
});
