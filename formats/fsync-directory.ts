/**
 * Makes a rename or a file creation in a folder durable (fsync of the folder), for every writer
 * that replaces files crash-safely: the audit log's head, lock and archives, the SchemaPin trust
 * store. Where a folder cannot be opened or synced (EISDIR/EINVAL on some platforms), the rename
 * is as durable as the OS makes it.
 */
import { closeSync, fsyncSync, openSync } from "node:fs";

export function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    /* EISDIR/EINVAL where folders cannot be synced */
  } finally {
    closeSync(fd);
  }
}
