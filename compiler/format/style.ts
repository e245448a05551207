/**
 * The house style's prettier options (docs/style.md). The CLI always formats with exactly these;
 * the plugin offers them as defaults, so `npx prettier --plugin …` gives the same result unless a
 * prettier config file overrides them.
 */
export const HOUSE_STYLE = {
  printWidth: 100,
  tabWidth: 4,
  useTabs: false,
  /** Keep the file's line endings (from its first line break): a CRLF file stays CRLF. */
  endOfLine: "auto",
} as const;
