/**
 * What an image reference names in a Docker engine, for the audit log: the engine's image id
 * (the SHA-256 of the image configuration, which covers every layer's digest) and a registry
 * digest when the image came from a registry or the reference is pinned to one. A tag alone is
 * not recorded as the identity of what ran: tags move.
 */
import type Docker from "dockerode";
import { imageDigestOf } from "../../formats/images.js";
import type { ImageIdentity } from "./types.js";

/** Inspects `reference`; rejects as dockerode does (statusCode 404 when the image is missing). */
export async function inspectImageIdentity(
  docker: Docker,
  reference: string,
  abortSignal: AbortSignal,
): Promise<ImageIdentity> {
  const image = docker.getImage(reference);
  // dockerode accepts `abortSignal` on inspect; its type definitions do not say so yet.
  const info = (await (image.inspect as (o: { abortSignal: AbortSignal }) => Promise<unknown>).call(image, {
    abortSignal,
  })) as { Id?: unknown; RepoDigests?: unknown };
  const repoDigest = Array.isArray(info.RepoDigests)
    ? info.RepoDigests.find((d): d is string => typeof d === "string" && /@sha256:[a-f0-9]{64}$/.test(d))
    : undefined;
  return {
    reference,
    id: typeof info.Id === "string" ? info.Id : null,
    digest: imageDigestOf(reference) ?? (repoDigest ? imageDigestOf(repoDigest) : null),
  };
}
