/**
 * Inlay hints: the parameter name before each positional argument of a tool call (tool calls
 * read like commands; `nmap_scan(host, "quick")` shows `target:` and `scan_type:`), and the unit
 * of a bare-number `with` timeout (`timeout = 30000` is milliseconds: shown as `ms`). Both come
 * from the checker's view of the project (the tool's contract, what the call resolved to).
 */
import { InlayHintKind, type InlayHint } from "vscode-languageserver";
import type * as A from "../../grammar/ast.js";
import { walk } from "../../grammar/visit.js";
import type { SourceDocument } from "../core/document.js";
import { positionAt } from "../core/positions.js";
import type { CheckView } from "../core/semantic.js";

export function inlayHints(
  doc: SourceDocument,
  view: CheckView | undefined,
  range: { start: number; end: number },
  /** Which hints the client wants (settings `symbiont.inlayHints.*`). */
  show: { parameterNames: boolean; timeoutUnits: boolean } = { parameterNames: true, timeoutUnits: true },
): InlayHint[] {
  const out: InlayHint[] = [];
  walk(doc.program, (n) => {
    if (n.span.end < range.start || n.span.start > range.end) return false;
    if (show.parameterNames && n.kind === "Call" && n.callee.kind === "Identifier" && view) {
      const sid = view.resolvedId(n.callee);
      const tool = sid?.startsWith("tool:") ? view.env.tools.get(sid.slice("tool:".length)) : undefined;
      if (tool) {
        (n.args ?? []).forEach((arg, i) => {
          const param = tool.args[i];
          if (!param || !arg || arg.kind === "NamedArg" || arg.kind === "Error") return;
          // A variable already named like the parameter says it itself.
          if (arg.kind === "Identifier" && arg.name === param.name) return;
          out.push({
            position: positionAt(doc.lineMap, arg.span.start),
            label: `${param.name}:`,
            kind: InlayHintKind.Parameter,
            paddingRight: true,
          });
        });
      }
    }
    if (
      show.timeoutUnits &&
      n.kind === "WithAttribute" &&
      n.name?.name === "timeout" &&
      (n.value as A.Node | undefined)?.kind === "Number"
    ) {
      out.push({
        position: positionAt(doc.lineMap, n.value.span.end),
        label: "ms",
        kind: InlayHintKind.Type,
        tooltip: "A bare number in `timeout` means milliseconds; write a duration such as `30s`.",
      });
    }
    return true;
  });
  return out;
}
