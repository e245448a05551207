/**
 * Findings the scanner makes itself, beside the pattern rules: obfuscation (invisible and
 * look-alike characters, found while normalising), files it cannot vouch for, the executable
 * allowlist, and malformed suppressions. Declared once here with their severities.
 *
 * Anything the scanner could not read in full is High: a skill is only as clean as the part of
 * it that was scanned, so an unscanned remainder blocks (fail closed).
 */
import type { SkillSeverity } from "../config/index.js";

export interface ScannerCheck {
  id: string;
  severity: SkillSeverity;
  message: string;
}

const check = (id: string, severity: SkillSeverity, message: string): ScannerCheck => ({ id, severity, message });

export const SCANNER_CHECKS = {
  unicodeTag: check(
    "unicode-tag-characters",
    "high",
    "Invisible Unicode tag characters (text hidden from readers but read by models)",
  ),
  bidiControl: check(
    "bidi-control",
    "high",
    "Bidirectional control character (text displayed differently from how it reads)",
  ),
  invisible: check("invisible-character", "medium", "Invisible character inside text"),
  homoglyph: check(
    "homoglyph",
    "medium",
    "Look-alike character (another script or a full-width form) inside ASCII text",
  ),
  executableNotAllowed: check("executable-not-allowed", "high", "Program not in the executable allowlist"),
  binaryFile: check("binary-file", "info", "Binary file: not scanned line by line"),
  executableBinary: check("executable-binary", "high", "Compiled executable (ELF, Mach-O or PE) in a skill"),
  fileTooLarge: check("file-too-large", "high", "File larger than the scan limit: the rest was not scanned"),
  skillTooLarge: check("skill-too-large", "high", "Skill larger than the scan limit: remaining files were not scanned"),
  symlinkOutside: check(
    "symlink-outside-skill",
    "high",
    "Symbolic link pointing outside the skill folder (not followed)",
  ),
  symlinkInside: check(
    "symlink",
    "info",
    "Symbolic link inside the skill folder (not followed; its target is scanned as itself)",
  ),
  specialFile: check("special-file", "high", "Not a regular file (device, socket or pipe): not read"),
  unreadable: check("unreadable-file", "high", "File could not be read: not scanned"),
  invalidUtf8: check("invalid-utf8", "medium", "Invalid UTF-8: scanned with replacement characters"),
  suppressionWithoutReason: check(
    "suppression-without-reason",
    "warning",
    "Suppression without a reason (`-- why`) or naming unknown rules: not applied",
  ),
} as const;

export const SCANNER_CHECK_IDS: readonly string[] = Object.values(SCANNER_CHECKS).map((c) => c.id);
