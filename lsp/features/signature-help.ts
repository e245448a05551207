/**
 * Signature help inside a call's parentheses: which callable (stdlib function or method, user
 * function, agent, tool), its parameters, and the one being typed (by position, or by name for
 * `name = value` arguments).
 */
import {
  MarkupKind,
  type ParameterInformation,
  type SignatureHelp,
  type SignatureInformation,
} from "vscode-languageserver";
import type * as A from "../../grammar/ast.js";
import { BUILTIN_FUNCTIONS, builtinMethods } from "../../stdlib/index.js";
import { receiverName } from "../../compiler/check/stdlib-types.js";
import { typeToString } from "../../compiler/check/types.js";
import type { SourceDocument } from "../core/document.js";
import { enclosingCall } from "../core/completion-context.js";
import { functionSignature, methodSignature, type CallableSignature } from "../core/stdlib-docs.js";
import type { CheckView } from "../core/semantic.js";

export interface SignatureInputs {
  doc: SourceDocument;
  offset: number;
  otherDocs: SourceDocument[];
  view: CheckView | undefined;
  viewIsCurrent: boolean;
}

function toInformation(sig: CallableSignature): SignatureInformation {
  const parameters: ParameterInformation[] = [];
  let at = sig.label.indexOf("(") + 1;
  for (const p of sig.params) {
    const i = sig.label.indexOf(p.label, at);
    if (i < 0) break;
    parameters.push({ label: [i, i + p.label.length] });
    at = i + p.label.length;
  }
  const info: SignatureInformation = { label: sig.label, parameters };
  if (sig.doc) info.documentation = { kind: MarkupKind.Markdown, value: sig.doc };
  return info;
}

function fromParams(
  prefix: string,
  params: Array<{ name: string; type: string; optional?: boolean }>,
  result: string | undefined,
  doc?: string,
): CallableSignature {
  const ps = params.map((p) => ({ name: p.name, label: `${p.name}${p.optional ? "?" : ""}: ${p.type}` }));
  const sig: CallableSignature = {
    label: `${prefix}(${ps.map((p) => p.label).join(", ")})${result ? ` -> ${result}` : ""}`,
    params: ps,
  };
  if (doc) sig.doc = doc;
  return sig;
}

/** A callable named `name` (not a method), looked up in the order the checker resolves calls. */
function namedCallable(name: string, inputs: SignatureInputs): CallableSignature | undefined {
  const { view, doc, offset } = inputs;
  if (view) {
    // The enclosing agent's own functions first, then top-level ones.
    const agent = doc.pathAt(offset).find((n): n is A.AgentDef => n.kind === "Agent");
    const f = (agent && view.env.agentFunctions.get(agent.name?.name)?.get(name)) ?? view.env.functions.get(name);
    if (f)
      return fromParams(
        name,
        f.params.map((p) => ({ name: p.name, type: typeToString(p.type) })),
        f.returnType ? typeToString(f.returnType) : undefined,
      );
    const tool = view.env.tools.get(name);
    if (tool)
      return fromParams(
        name,
        tool.args.map((a) => ({ name: a.name, type: a.type, optional: !a.required || a.default !== undefined })),
        typeToString(tool.type.result),
        tool.contract.description,
      );
    const agentDecl = view.env.agents.get(name);
    if (agentDecl)
      return fromParams(
        name,
        agentDecl.params.map((p) => ({ name: p.name, type: typeToString(p.type) })),
        agentDecl.returnType ? typeToString(agentDecl.returnType) : undefined,
        `Runs agent \`${name}\`.`,
      );
  }
  const builtin = BUILTIN_FUNCTIONS.get(name);
  return builtin ? functionSignature(builtin) : undefined;
}

function methodCallable(receiverEnd: number, name: string, inputs: SignatureInputs): CallableSignature | undefined {
  const view = inputs.viewIsCurrent ? inputs.view : undefined;
  if (!view) return undefined;
  const path = inputs.doc.pathAt(Math.max(0, receiverEnd - 1));
  for (let i = path.length - 1; i >= 0; i--) {
    const n = path[i]!;
    if (n.span.end !== receiverEnd || n.kind === "Error") continue;
    let outer: A.Node = n;
    for (let j = i - 1; j >= 0 && path[j]!.span.end === receiverEnd; j--) outer = path[j]!;
    const t = view.typeOf(outer) ?? view.typeOf(n);
    const head = t ? receiverName(t) : undefined;
    const m = head ? builtinMethods(head).get(name) : undefined;
    return m ? methodSignature(m) : undefined;
  }
  return undefined;
}

export function signatureHelp(inputs: SignatureInputs): SignatureHelp | null {
  const { doc, offset } = inputs;
  if (doc.inCommentOrString(offset)) return null;
  const call = enclosingCall(doc, offset);
  if (!call) return null;
  const calleeTok = doc.tokenAt(call.calleeEnd);
  if (!calleeTok || !/^[A-Za-z_]\w*$/.test(calleeTok.image)) return null;
  const name = calleeTok.image;
  // A method call: the token before the callee is a dot.
  const idx = doc.tokenIndexAfter(calleeTok.startOffset);
  const before = doc.tokens[idx - 1];
  const sig =
    before?.image === "." && before.endOffset! + 1 === calleeTok.startOffset
      ? methodCallable(before.startOffset, name, inputs)
      : namedCallable(name, inputs);
  if (!sig) return null;
  let active = call.argIndex;
  if (call.namedArg) {
    const i = sig.params.findIndex((p) => p.name === call.namedArg);
    if (i >= 0) active = i;
  }
  // Variadic: stay on the last parameter.
  const last = sig.params[sig.params.length - 1];
  if (active >= sig.params.length && last?.label.startsWith("...")) active = sig.params.length - 1;
  return { signatures: [toInformation(sig)], activeSignature: 0, activeParameter: active };
}
