/**
 * What the Kubernetes Job that `symbic build` writes (compiler/emit/kubernetes.ts) promises the
 * runtime inside it (runtime/sandbox/tool-host), declared once for both.
 */

/**
 * Memory the tool host (a Node process) needs besides the tools: the compiler adds it to the
 * tools container's limit, the runtime allows it when it compares that limit with the manifest.
 */
export const TOOL_HOST_MEMORY_MB = 96;
