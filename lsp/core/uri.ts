/**
 * URIs and paths. Clients spell `file:` URIs in slightly different ways (VS Code escapes `:`
 * and `@`, Node does not), so the server keys everything by a canonical spelling and answers
 * with the spelling the client used for the documents it opened.
 */
import { fileURLToPath, pathToFileURL } from "node:url";

export function canonicalUri(uri: string): string {
  if (!uri.startsWith("file:")) return uri;
  try {
    return pathToFileURL(fileURLToPath(uri)).href;
  } catch {
    return uri;
  }
}

export function pathToUri(path: string): string {
  return pathToFileURL(path).href;
}

/** The file-system path of a `file:` URI, or undefined for other schemes (`untitled:`). */
export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith("file:")) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

/** A short name for messages: the last path segment. */
export function baseName(uri: string): string {
  const clean = uri.replace(/[?#].*$/, "");
  const i = clean.lastIndexOf("/");
  return decodeURIComponent(i >= 0 ? clean.slice(i + 1) : clean);
}
