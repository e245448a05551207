/**
 * What the Kubernetes Job that `symbic build` writes (compiler/emit/kubernetes.ts) promises the
 * runtime inside it (runtime/sandbox/tool-host), declared once for both.
 */

/**
 * Memory the tool host (a Node process) needs besides the tools: the compiler adds it to the
 * tools container's limit, the runtime allows it when it compares that limit with the manifest.
 */
export const TOOL_HOST_MEMORY_MB = 96;

/**
 * The runtime's own user in the runtime image (scripts/build-runtime-images.sh reads this line):
 * outside the sandbox identities (SANDBOX_ID_RANGE), so no tool can run as the user that holds
 * the signing key and the audit log.
 */
export const RUNTIME_UID = 64000;
