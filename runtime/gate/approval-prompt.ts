/**
 * What a person sees before approving a call (`--approve ask`): the agent, the tool and every
 * argument — each on its own line, escaped (runtime/terminal), with its length. A value longer
 * than APPROVAL_VALUE_HEAD + APPROVAL_VALUE_TAIL characters is shown as its head and its tail
 * with the count of the characters in between: nothing is cut silently, and a long first
 * argument cannot push the recipient out of sight.
 */
import { escapeForTerminal, quoteForTerminal } from "../terminal/escape.js";
import type { ApprovalRequest } from "./approval.js";

export const APPROVAL_VALUE_HEAD = 160;
export const APPROVAL_VALUE_TAIL = 80;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Head … tail of a long text (by code points); `show` escapes each part. */
function abbreviate(text: string, show: (part: string) => string): string {
  const chars = [...text];
  if (chars.length <= APPROVAL_VALUE_HEAD + APPROVAL_VALUE_TAIL) return show(text);
  const hidden = chars.length - APPROVAL_VALUE_HEAD - APPROVAL_VALUE_TAIL;
  return `${show(chars.slice(0, APPROVAL_VALUE_HEAD).join(""))} … ${plural(hidden, "more character")} not shown … ${show(chars.slice(-APPROVAL_VALUE_TAIL).join(""))}`;
}

/** One argument's value and its length, as the approver reads them. */
export function describeArgument(value: unknown): { length: string; text: string } {
  if (typeof value === "string")
    return { length: plural([...value].length, "character"), text: abbreviate(value, quoteForTerminal) };
  const json = JSON.stringify(value) ?? String(value);
  const length = Array.isArray(value)
    ? `${plural(value.length, "item")}, ${plural([...json].length, "character")} as JSON`
    : value !== null && typeof value === "object"
      ? `${plural(Object.keys(value).length, "field")}, ${plural([...json].length, "character")} as JSON`
      : typeof value;
  return { length, text: abbreviate(json, escapeForTerminal) };
}

/** The whole prompt text, ending with a newline (the question itself is asked after it). */
export function renderApprovalPrompt(req: ApprovalRequest): string {
  const names = Object.keys(req.args);
  const lines = [
    "",
    `agent \`${escapeForTerminal(req.agent)}\` wants to run \`${escapeForTerminal(req.tool)}\` with ${plural(names.length, "argument")}${names.length ? ":" : ""}`,
  ];
  for (const name of names) {
    const { length, text } = describeArgument(req.args[name]);
    lines.push(`  ${escapeForTerminal(name)} (${length}): ${text}`);
  }
  lines.push(`reason: ${escapeForTerminal(req.reason)}`);
  if (req.rules.length > 0) lines.push(`rules: ${req.rules.map(escapeForTerminal).join(", ")}`);
  return lines.join("\n") + "\n";
}
