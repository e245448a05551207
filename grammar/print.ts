/**
 * A plain AST printer: canonical layout, no comments, no line-width handling. It exists for
 * round-trip tests (print → parse gives the same tree), for showing expressions in messages
 * (`exprToString`), and for tools that need source text of a subtree. The formatter
 * (compiler/format) is the one that produces the house style.
 */
import type * as A from "./ast.js";

const IND = "    ";

export function printProgram(p: A.Program): string {
  return p.items.map((i) => printItem(i, "")).join("\n\n") + (p.items.length ? "\n" : "");
}

function printItem(item: A.Item, ind: string): string {
  switch (item.kind) {
    case "Metadata":
      return `${ind}metadata ${entries(item.entries, ind)}`;
    case "Agent": {
      const params = item.params ? `(${item.params.map(printParam).join(", ")})` : "";
      const ret = item.returnType ? ` -> ${printType(item.returnType)}` : "";
      const inner = ind + IND;
      const members = item.members.map((m) => printAgentMember(m, inner)).join("\n");
      return `${ind}agent ${item.name.name}${params}${ret} {\n${members}${members ? "\n" : ""}${ind}}`;
    }
    case "Policy":
      return printPolicy(item, ind);
    case "TypeDef":
      return `${ind}type ${item.name.name} = ${printTypeDefinition(item.definition, ind)}`;
    case "Function":
      return printFunction(item, ind);
    case "Schedule":
      return `${ind}schedule ${item.name.name} ${entries(item.entries, ind)}`;
    case "Channel": {
      const inner = ind + IND;
      const body = item.members
        .map((m) =>
          m.kind === "Property"
            ? inner + printProperty(m, inner)
            : m.kind === "Policy"
              ? printPolicy(m, inner)
              : printClassification(m, inner),
        )
        .join("\n");
      return `${ind}channel ${item.name.name} {\n${body}${body ? "\n" : ""}${ind}}`;
    }
    case "Memory":
    case "Webhook": {
      const inner = ind + IND;
      const body = item.members
        .map((m) =>
          m.kind === "Property" ? inner + printProperty(m, inner) : `${inner}${m.keyword} ${entries(m.entries, inner)}`,
        )
        .join("\n");
      return `${ind}${item.kind === "Memory" ? "memory" : "webhook"} ${item.name.name} {\n${body}${body ? "\n" : ""}${ind}}`;
    }
  }
}

function entries(list: A.Property[], ind: string): string {
  if (list.length === 0) return "{}";
  const inner = ind + IND;
  return `{\n${list.map((p) => inner + printProperty(p, inner)).join("\n")}\n${ind}}`;
}

function printProperty(p: A.Property, ind: string): string {
  const sep = p.separator === null ? " " : p.separator === ":" ? ": " : " = ";
  return `${p.key.name}${sep}${printExpr(p.value as A.Expr, ind)}${p.comma ? "," : ""}`;
}

function printClassification(d: A.DataClassification, ind: string): string {
  const inner = ind + IND;
  const rules = d.rules.map((r) => `${inner}${r.category.name}: ${r.action.name}${r.comma ? "," : ""}`).join("\n");
  return `${ind}data_classification {${rules ? "\n" + rules + "\n" + ind : ""}}`;
}

function printAgentMember(m: A.AgentMember, ind: string): string {
  switch (m.kind) {
    case "Capabilities":
      return `${ind}capabilities ${m.separator === ":" ? ":" : "="} ${printExpr(m.list, ind)}`;
    case "Policy":
      return printPolicy(m, ind);
    case "Function":
      return printFunction(m, ind);
    case "With": {
      const attrs = m.attributes.map((a) => `${a.name.name} = ${printExpr(a.value as A.Expr, ind)}`).join(", ");
      return `${ind}with ${attrs}${attrs ? " " : ""}${printBlock(m.body, ind)}`;
    }
  }
}

function printPolicy(p: A.PolicyDef, ind: string): string {
  const inner = ind + IND;
  const rules = p.rules
    .map((r) => {
      let s = `${inner}${r.verb}: ${printExpr(r.action, inner)}`;
      if (r.scope) s += ` for ${printExpr(r.scope, inner)}`;
      if (r.guard) s += ` if ${printExpr(r.guard, inner)}`;
      return s;
    })
    .join("\n");
  return `${ind}policy ${p.name.name} {${rules ? "\n" + rules + "\n" + ind : ""}}`;
}

function printFunction(f: A.FunctionDef, ind: string): string {
  const ret = f.returnType ? ` -> ${printType(f.returnType)}` : "";
  return `${ind}function ${f.name.name}(${f.params.map(printParam).join(", ")})${ret} ${printBlock(f.body, ind)}`;
}

function printParam(p: A.Param): string {
  return `${p.name.name}: ${printType(p.type)}`;
}

export function printType(t: A.TypeRef): string {
  return t.args.length ? `${t.name.name}<${t.args.map(printType).join(", ")}>` : t.name.name;
}

function printStruct(s: A.StructType, ind: string): string {
  if (s.fields.length === 0) return "{}";
  const inner = ind + IND;
  return `{\n${s.fields.map((f) => `${inner}${f.name.name}: ${printType(f.type)},`).join("\n")}\n${ind}}`;
}

function printBlock(b: A.Block, ind: string): string {
  const inner = ind + IND;
  const lines = b.statements.map((s) => inner + printStmt(s, inner));
  if (b.tail) lines.push(inner + printExpr(b.tail, inner));
  return lines.length ? `{\n${lines.join("\n")}\n${ind}}` : "{}";
}

function printStmt(s: A.Stmt, ind: string): string {
  switch (s.kind) {
    case "Let":
      return `let ${s.name.name} = ${printExpr(s.init, ind)};`;
    case "Assign":
      return `${printExpr(s.target, ind)} ${s.op} ${printExpr(s.value, ind)};`;
    case "Return":
      return s.value ? `return ${printExpr(s.value, ind)};` : "return;";
    case "If":
      return printIf(s, ind);
    case "For":
      return `for ${s.binder.name} in ${printExpr(s.iterable, ind)} ${printBlock(s.body, ind)}`;
    case "Match": {
      const inner = ind + IND;
      const arms = s.arms.map(
        (a) =>
          `${inner}${printExpr(a.pattern as A.Expr, inner)} => ${a.body.kind === "Block" ? printBlock(a.body, inner) : printExpr(a.body, inner)}${a.comma ? "," : ""}`,
      );
      return `match ${printExpr(s.scrutinee, ind)} {${arms.length ? "\n" + arms.join("\n") + "\n" + ind : ""}}`;
    }
    case "Try": {
      let out = `try ${printBlock(s.body, ind)}`;
      for (const c of s.catches)
        out += ` catch (${c.errorType ? c.errorType.name + " " : ""}${c.binder.name}) ${printBlock(c.body, ind)}`;
      return out;
    }
    case "ExprStmt":
      return `${printExpr(s.expr, ind)};`;
  }
}

function printIf(s: A.IfStmt, ind: string): string {
  const cond =
    s.condition.kind === "LetCondition"
      ? `let ${printPattern(s.condition.pattern)} = ${printExpr(s.condition.value, ind)}`
      : printExpr(s.condition, ind);
  let out = `if ${cond} ${printBlock(s.then, ind)}`;
  if (s.else) out += ` else ${s.else.kind === "If" ? printIf(s.else, ind) : printBlock(s.else, ind)}`;
  return out;
}

function printPattern(p: A.Pattern): string {
  switch (p.kind) {
    case "WildcardPattern":
      return "_";
    case "BindingPattern":
      return p.name.name;
    case "ConstructorPattern":
      return `${p.name.name}(${p.args.map(printPattern).join(", ")})`;
  }
}

/** Source text of an expression in canonical layout (single line unless it contains blocks). */
export function exprToString(e: A.Expr): string {
  return printExpr(e, "");
}

function printExpr(e: A.Expr | A.WildcardPattern, ind: string): string {
  switch (e.kind) {
    case "Binary":
      return `${printExpr(e.left, ind)} ${e.op} ${printExpr(e.right, ind)}`;
    case "Unary":
      return e.op === "not" ? `not ${printExpr(e.operand, ind)}` : `${e.op}${printExpr(e.operand, ind)}`;
    case "Member":
      return `${printExpr(e.object, ind)}.${e.property.name}`;
    case "Call":
      return `${printExpr(e.callee, ind)}(${e.args.map((a) => (a.kind === "NamedArg" ? `${a.name.name}${a.separator === ":" ? ": " : " = "}${printExpr(a.value, ind)}` : printExpr(a, ind))).join(", ")})`;
    case "Index":
      return `${printExpr(e.object, ind)}[${printExpr(e.index, ind)}]`;
    case "TypeLiteral":
      return `${e.typeName.name} ${printFields(e.fields, ind)}`;
    case "Record":
      return printFields(e.fields, ind);
    case "Array":
      return `[${e.elements.map((x) => printExpr(x, ind)).join(", ")}]`;
    case "Lambda":
      return e.style === "arrow"
        ? `${e.params[0]!.name} => ${printExpr(e.body, ind)}`
        : `|${e.params.map((p) => p.name).join(", ")}| ${printExpr(e.body, ind)}`;
    case "IfExpr":
      return `if ${printExpr(e.condition, ind)} ${printBlock(e.then, ind)} else ${e.else.kind === "IfExpr" ? printExpr(e.else, ind) : printBlock(e.else, ind)}`;
    case "Paren":
      return `(${printExpr(e.expr, ind)})`;
    case "Identifier":
      return e.name;
    case "String":
    case "Number":
    case "Duration":
      return e.raw;
    case "Bool":
      return e.value ? "true" : "false";
    case "Vault":
      return e.raw;
    case "Setting":
      return `${e.name.name} = ${printExpr(e.value, ind)}`;
    case "WildcardPattern":
      return "_";
    case "Error":
      return "<error>";
  }
}

function printTypeDefinition(d: A.TypeDef["definition"], ind: string): string {
  if (d.kind === "StructType") return printStruct(d, ind);
  return d.kind === "Error" ? "<error>" : printType(d);
}

function printFields(fields: A.RecordField[], ind: string): string {
  if (fields.length === 0) return "{}";
  return `{ ${fields.map((f) => `${f.key.kind === "String" ? f.key.raw : f.key.name}: ${printExpr(f.value, ind)}`).join(", ")} }`;
}
