/**
 * The programs a line of shell invokes, for the executable allowlist (`AllowedExecutablesOnly`):
 * a small lexer that knows quotes, comments, separators (`|`, `;`, `&&`, `||`, `&`, newlines),
 * command and process substitutions (`$(…)`, backticks, `<(…)`), subshells and groups, variable
 * assignments before a command, redirections, wrappers that run another program (`sudo`, `env`,
 * `nohup`, `timeout`, `xargs`, `exec`, `command`, …) and `sh -c '…'` strings (lexed in turn).
 * Shell keywords and builtins are not programs. A command word that is computed (`$CMD`,
 * `"$(which x)"`) is returned as such: it cannot be checked against a list.
 */

export interface InvokedCommand {
  /** The command word as written (quotes removed). */
  word: string;
  /** Index of the word in the line. */
  index: number;
  /** True when the word is computed at run time (contains `$` or a backquote). */
  dynamic: boolean;
}

const KEYWORDS = new Set(
  "if then else elif fi for in while until do done case esac function select time ! [[ ]] { } coproc".split(" "),
);
const BUILTINS = new Set(
  (
    ": . alias bg bind break builtin caller cd command compgen complete continue declare dirs disown echo enable eval exec exit export false fc fg " +
    "getopts hash help history jobs kill let local logout mapfile popd printf pushd pwd read readarray readonly return set shift shopt source " +
    "suspend test [ times trap true type typeset ulimit umask unalias unset wait"
  ).split(" "),
);
/** Wrappers: run the next word as a program (after their own options). `exec`/`command` are builtins that do too. */
const WRAPPERS = new Set([
  "sudo",
  "doas",
  "env",
  "nohup",
  "nice",
  "ionice",
  "timeout",
  "xargs",
  "stdbuf",
  "time",
  "exec",
  "command",
  "setsid",
  "chroot",
  "watch",
  "strace",
  "su",
]);
const SHELLS = new Set(["sh", "bash", "zsh", "ksh", "dash", "ash"]);

interface Token {
  text: string;
  index: number;
  dynamic: boolean;
  /** A separator: starts a new command. */
  sep: boolean;
  /** Raw inner text of a `$( … )`, backquote or `<( … )` that starts at this token (lexed separately). */
  nested?: { text: string; index: number };
}

/** Splits a line into words and separators (quotes removed from words). */
function lex(line: string, base: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    const ch = line[i]!;
    if (ch === " " || ch === "\t") {
      i++;
      continue;
    }
    if (ch === "#") break; // comment (at a word start)
    if (ch === "\\" && i + 1 >= n) break;
    // separators
    const two = line.slice(i, i + 2);
    if (two === "&&" || two === "||" || two === ";;") {
      tokens.push({ text: two, index: base + i, dynamic: false, sep: true });
      i += 2;
      continue;
    }
    if (ch === "|" || ch === ";" || ch === "&" || ch === "(" || ch === ")" || ch === "{" || ch === "}" || ch === "\n") {
      tokens.push({ text: ch, index: base + i, dynamic: false, sep: true });
      i++;
      continue;
    }
    // substitutions that start a command
    if (two === "$(" || two === "<(" || two === ">(" || ch === "`") {
      const open = ch === "`" ? 1 : 2;
      const end = ch === "`" ? findBackquote(line, i + 1) : findParen(line, i + 2);
      tokens.push({
        text: "",
        index: base + i,
        dynamic: false,
        sep: true,
        nested: { text: line.slice(i + open, end), index: base + i + open },
      });
      i = Math.min(n, end + 1);
      continue;
    }
    // redirections: skip the operator and its target word
    const redir = /^(?:\d*>>?|\d*<|&>>?|\d*>&\d*-?|<<<?-?)/.exec(line.slice(i));
    if (redir && redir[0].length > 0) {
      i += redir[0].length;
      while (i < n && (line[i] === " " || line[i] === "\t")) i++;
      i = readWord(line, i).end;
      continue;
    }
    const w = readWord(line, i);
    tokens.push({ text: w.text, index: base + i, dynamic: w.dynamic, sep: false });
    if (w.nested)
      tokens.push({
        text: "",
        index: base + w.nested.index,
        dynamic: false,
        sep: true,
        nested: { text: w.nested.text, index: base + w.nested.index },
      });
    i = w.end;
  }
  return tokens;
}

function findParen(line: string, from: number): number {
  let depth = 1;
  for (let j = from; j < line.length; j++) {
    if (line[j] === "(") depth++;
    else if (line[j] === ")" && --depth === 0) return j;
  }
  return line.length;
}

function findBackquote(line: string, from: number): number {
  const j = line.indexOf("`", from);
  return j < 0 ? line.length : j;
}

/** Reads one shell word from `i`: quotes removed, `$` marks it dynamic; a `$(` inside is returned as nested. */
function readWord(
  line: string,
  i: number,
): { text: string; end: number; dynamic: boolean; nested?: { text: string; index: number } } {
  let text = "";
  let dynamic = false;
  let nested: { text: string; index: number } | undefined;
  const n = line.length;
  while (i < n) {
    const ch = line[i]!;
    if (
      ch === " " ||
      ch === "\t" ||
      ch === "|" ||
      ch === ";" ||
      ch === "&" ||
      ch === "<" ||
      ch === ">" ||
      ch === ")" ||
      ch === "("
    )
      break;
    if (ch === "\\") {
      text += line[i + 1] ?? "";
      i += 2;
      continue;
    }
    if (ch === "'") {
      const j = line.indexOf("'", i + 1);
      const end = j < 0 ? n : j;
      text += line.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      while (j < n && line[j] !== '"') {
        if (line[j] === "\\") j++;
        else if (line[j] === "$" || line[j] === "`") {
          dynamic = true;
          if (line[j + 1] === "(" && !nested) {
            const e = findParen(line, j + 2);
            nested = { text: line.slice(j + 2, e), index: j + 2 };
          }
        }
        j++;
      }
      text += line.slice(i + 1, Math.min(j, n));
      i = j + 1;
      continue;
    }
    if (ch === "$" || ch === "`") {
      dynamic = true;
      if (line[i + 1] === "(" && !nested) {
        const e = findParen(line, i + 2);
        nested = { text: line.slice(i + 2, e), index: i + 2 };
        text += line.slice(i, e + 1);
        i = e + 1;
        continue;
      }
    }
    text += ch;
    i++;
  }
  return nested ? { text, end: i, dynamic, nested } : { text, end: i, dynamic };
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=/;

/** The programs `line` runs. `base` is added to indexes (for nested text). */
export function invokedCommands(line: string, base = 0, depth = 0): InvokedCommand[] {
  const out: InvokedCommand[] = [];
  if (depth > 4) return out;
  const tokens = lex(line, base);
  let atStart = true;
  let wrapper: string | null = null;
  let skipArgs = 0;
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t]!;
    if (tok.nested) out.push(...invokedCommands(tok.nested.text, tok.nested.index, depth + 1));
    if (tok.sep) {
      atStart = true;
      wrapper = null;
      continue;
    }
    if (!atStart) continue;
    if (skipArgs > 0) {
      skipArgs--;
      continue;
    }
    const word = tok.text;
    if (wrapper) {
      // options of the wrapper, and `env`'s assignments, come before the program
      if (word.startsWith("-")) {
        if (
          (wrapper === "sudo" && /^-[ugCDhpRrTt]$/.test(word)) ||
          (wrapper === "timeout" && /^-[sk]$/.test(word)) ||
          (wrapper === "nice" && word === "-n")
        )
          skipArgs = 1;
        continue;
      }
      if (wrapper === "env" && ASSIGNMENT.test(word)) continue;
      if (wrapper === "timeout" && /^\d/.test(word)) continue;
    } else if (ASSIGNMENT.test(word)) continue;
    if (KEYWORDS.has(word)) continue;
    if (word === "") continue;
    if (BUILTINS.has(word) && !WRAPPERS.has(word)) {
      atStart = false;
      continue;
    }
    if (WRAPPERS.has(word)) {
      if (!BUILTINS.has(word)) out.push({ word, index: tok.index, dynamic: false });
      wrapper = word;
      continue;
    }
    out.push({ word, index: tok.index, dynamic: tok.dynamic });
    atStart = false;
    // `sh -c 'script'`: the script is shell too
    const name = word.split("/").pop() ?? word;
    if (SHELLS.has(name)) {
      for (let u = t + 1; u < tokens.length && !tokens[u]!.sep; u++) {
        if (/^-\w*c$/.test(tokens[u]!.text) && tokens[u + 1] && !tokens[u + 1]!.sep) {
          const script = tokens[u + 1]!;
          out.push(...invokedCommands(script.text, script.index + 1, depth + 1));
          break;
        }
      }
    }
  }
  return out;
}

/** The interpreter a `#!` line names (`/usr/bin/env -S python3 -u` → python3), or null. */
export function shebangProgram(firstLine: string): { word: string; index: number } | null {
  const m = /^#!\s*(\S+)(?:\s+(.*))?$/.exec(firstLine);
  if (!m) return null;
  const prog = m[1]!;
  const index = firstLine.indexOf(prog);
  if (prog.split("/").pop() === "env" && m[2]) {
    const args = m[2].split(/\s+/).filter((a) => a && !a.startsWith("-") && !ASSIGNMENT.test(a));
    if (args[0]) return { word: args[0], index: firstLine.indexOf(args[0], index + prog.length) };
  }
  return { word: prog, index };
}
