/**
 * The approval step for calls the gate answers with require_approval (`--approve`):
 *
 *   all   every such call is approved (by the operator who passed the flag)
 *   none  every such call is refused
 *   ask   a person answers on the terminal; with no terminal (CI, a pipe) the call is refused
 *
 * The answer — who approved, what they typed — goes into the audit log (runtime/exec), and a
 * refusal raises PolicyDenied, so the tool never starts without a yes.
 */
import { createInterface } from "node:readline/promises";
import { userInfo } from "node:os";
import { renderApprovalPrompt } from "./approval-prompt.js";

export type ApprovalMode = "all" | "none" | "ask";
export const APPROVAL_MODES: readonly ApprovalMode[] = ["all", "none", "ask"];

export interface ApprovalRequest {
  agent: string;
  tool: string;
  /** The call's validated arguments (shown to the approver). */
  args: Record<string, unknown>;
  /** The approval rules that matched. */
  rules: string[];
  reason: string;
}

export interface ApprovalAnswer {
  approved: boolean;
  /** Who answered: `operator:--approve all`, `user@terminal`, `none`. */
  approver: string;
  /** What was answered, verbatim for a person (`y`), or why there was no answer. */
  answer: string;
}

export interface Approver {
  readonly mode: ApprovalMode;
  approve(req: ApprovalRequest, signal?: AbortSignal): Promise<ApprovalAnswer>;
}

export interface TerminalIO {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
}

function operatorName(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

/** The approver for a mode. `io` defaults to stdin/stderr (stdout carries the agent's result). */
export function approverFor(
  mode: ApprovalMode,
  io: TerminalIO = { input: process.stdin, output: process.stderr },
): Approver {
  switch (mode) {
    case "all":
      return {
        mode,
        approve: async () => ({
          approved: true,
          approver: `${operatorName()} (--approve all)`,
          answer: "approved in advance by --approve all",
        }),
      };
    case "none":
      return {
        mode,
        approve: async () => ({
          approved: false,
          approver: "none (--approve none)",
          answer: "refused in advance by --approve none",
        }),
      };
    case "ask":
      return { mode, approve: (req, signal) => askOnTerminal(req, io, signal) };
  }
}

async function askOnTerminal(req: ApprovalRequest, io: TerminalIO, signal?: AbortSignal): Promise<ApprovalAnswer> {
  if (!io.input.isTTY || !io.output.isTTY) {
    return {
      approved: false,
      approver: "none",
      answer: "no terminal to ask on (--approve ask needs an interactive terminal), so the call is refused",
    };
  }
  const rl = createInterface({ input: io.input, output: io.output, terminal: true });
  try {
    io.output.write(renderApprovalPrompt(req));
    const raw = await rl.question("approve this call? [y/N] ", signal ? { signal } : {});
    const answer = raw.trim();
    return {
      approved: /^(y|yes)$/i.test(answer),
      approver: `${operatorName()}@terminal`,
      answer: answer === "" ? "(empty: no)" : answer,
    };
  } catch {
    return { approved: false, approver: "none", answer: "the prompt was interrupted, so the call is refused" };
  } finally {
    rl.close();
  }
}
