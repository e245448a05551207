/** SchemaPin (specification v1.x): signatures, discovery, revocation, TOFU pins, trust bundles, skill signatures. */
export * from "./errors.js";
export * from "./keys.js";
export * from "./signature.js";
export * from "./documents.js";
export * from "./https-fetch.js";
export * from "./resolvers.js";
export * from "./trust-bundle.js";
export * from "./pins.js";
export * from "./verify.js";
export * from "./skill.js";
