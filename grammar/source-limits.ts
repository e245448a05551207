/**
 * The size limit of a source file, in a module of its own: the file readers of both CLIs need
 * it, and importing it must not load the parser (a bundle's run never parses: start-up).
 */

/** Largest source the compiler accepts; larger files get E0004 instead of exhausting memory. */
export const MAX_SOURCE_BYTES = 16 * 1024 * 1024;
