/**
 * The images `npm run runtime:image` builds (scripts/build-runtime-images.sh reads the two
 * constants below with sed, so the script and the TypeScript cannot disagree):
 *
 * - the tool image: a Debian root filesystem with real command-line tools (git, grep, sed, awk,
 *   jq, curl, wget, coreutils, ...), for contracts that need more than busybox
 *   (`[tool.sandbox] image = "symbi-tools:1"`);
 * - the runtime image: the tool image plus Node.js and `symbi`. A Kubernetes Job runs it twice
 *   in one pod: as the runtime (interpreter, gate, audit log, signing key) and as the tool host
 *   whose container is the sandbox of the agent's tool calls (compiler/emit/kubernetes.ts).
 */
export const TOOLS_IMAGE = "symbi-tools:1";
export const DEFAULT_RUNTIME_IMAGE = "symbi-runtime:1";

// An image reference as the OCI distribution spec writes it: [host[:port]/]path[:tag][@sha256:hex].
const HOST =
  "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?/)";
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REFERENCE = new RegExp(
  `^${HOST}?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);

/** Whether `s` is a well-formed image reference (at most 255 characters). */
export function isImageReference(s: string): boolean {
  return s.length <= 255 && REFERENCE.test(s);
}

/** The `sha256:…` digest a reference is pinned to, or null for a reference by tag only. */
export function imageDigestOf(reference: string): string | null {
  return /@(sha256:[a-f0-9]{64})$/.exec(reference)?.[1] ?? null;
}
