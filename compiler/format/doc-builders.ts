/** prettier's doc builders, imported once (prettier exposes them as `doc.builders`). */
import { doc } from "prettier";

export const {
  group,
  indent,
  line,
  softline,
  hardline,
  join,
  ifBreak,
  lineSuffixBoundary,
  conditionalGroup,
  breakParent,
} = doc.builders;
export const { willBreak } = doc.utils;
export type { Doc } from "prettier";
export const { lineSuffix } = doc.builders;
