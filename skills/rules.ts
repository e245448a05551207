/**
 * The 40 default rules of the skill scanner, in 8 categories — our own table, written for this
 * project (see README: why we do not load the shared rules file at run time). Ids, severities
 * and intent follow the rule list in shared/data/skill-scanner-rules.json, and a conformance test
 * checks that every line that file's pattern is meant to catch is caught here too. The patterns
 * are ours: RE2 syntax (run by re2js, linear time), anchored on command positions and word
 * boundaries where the list's patterns flag ordinary prose, and widened to the evasions the list
 * misses (flags in another order, `$(…)` and backticks, full paths, `sudo`/`env` prefixes).
 *
 * `prefilter` is a cheap test the line must pass before the pattern runs: a plain JavaScript
 * regular expression of ours (literals and word boundaries, no nested repetition, so linear),
 * which every line the pattern matches also matches. `unless`, when present, drops a match whose text it matches.
 */
import type { SkillSeverity } from "../config/index.js";

export type RuleCategory =
  | "remote-code-execution"
  | "agent-tampering"
  | "reverse-shell"
  | "credential-access"
  | "exfiltration"
  | "process-injection"
  | "privilege-escalation"
  | "filesystem-and-downloads";

export interface ScanRule {
  id: string;
  category: RuleCategory | "custom";
  severity: SkillSeverity;
  /** RE2 syntax. */
  pattern: string;
  message: string;
  /** A cheap necessary condition of `pattern` (our own plain regex, linear); null runs the pattern on every line. */
  prefilter: RegExp | null;
  /**
   * Lower-case literals, one of which occurs (case-insensitively) in every line the prefilter
   * matches; `\\b` in front: only where it starts a word. The scanner finds them in one pass over
   * a file (anchors.ts) and runs the prefilter only on those lines.
   */
  anchors: readonly string[];
  unless?: string;
  /**
   * More cheap necessary conditions (plain, linear JavaScript regexes): the line must match each.
   * Tested with the prefilter, before the pattern, so RE2 runs only on lines likely to match.
   */
  also?: readonly RegExp[];
}

/**
 * Whether `text` passes a rule's prefilter and its other cheap conditions — every line the
 * rule's pattern matches does (a rule without a prefilter passes every line).
 */
export function passesPrefilters(rule: ScanRule, text: string): boolean {
  if (rule.prefilter !== null && !rule.prefilter.test(text)) return false;
  const also = rule.also;
  if (also !== undefined) for (let i = 0; i < also.length; i++) if (!also[i]!.test(text)) return false;
  return true;
}

/** A program name in command position: start of line (after a list bullet or prompt), after a separator, a substitution, `sh -c`, or a wrapper. */
const CMD =
  String.raw`(?:^\s*(?:[-*>]\s+|\$\s+|#\s*)?|[;&|({` +
  "`" +
  String.raw`]\s*|\$\(\s*|\s-c\s+["']?|\b(?:then|do|else|if|while|until|exec|sudo|xargs|time|nohup|command|env|watch)\s+)`;
/** A shell after a pipe or as a command: sh, bash, zsh, ksh, dash, ash, with an optional path, sudo or env. */
const SHELL = String.raw`(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+(?:\w+=\S*\s+)*)?(?:\S*/)?(?:ba|z|k|da|a)?sh\b`;
/** Interpreters that run code read from a pipe. */
const PIPE_TARGET = String.raw`(?:${SHELL}|(?:sudo\s+)?(?:\S*/)?(?:python[0-9.]*|perl|ruby|node|php)\b)`;
/** A command substitution or process substitution opening: $( ` <( */
const SUBST = String.raw`(?:\$\(|` + "`" + String.raw`|<\()`;
/** A home folder written any of the usual ways. */
const HOME = String.raw`(?:~|\$HOME|\$\{HOME\}|/root|/home/[^/\s]+|/Users/[^/\s]+|%USERPROFILE%)`;
const SH_PATH = String.raw`["']?(?:/usr)?(?:/local)?/bin/(?:ba|z|k|da|a)?sh\b`;

const rule = (
  id: string,
  category: RuleCategory,
  severity: SkillSeverity,
  pattern: string,
  message: string,
  prefilter: RegExp,
  anchors: string[],
  more: { unless?: string; also?: RegExp | RegExp[] } = {},
): ScanRule => ({
  id,
  category,
  severity,
  pattern,
  message,
  prefilter,
  anchors,
  ...(more.unless !== undefined ? { unless: more.unless } : {}),
  ...(more.also !== undefined ? { also: Array.isArray(more.also) ? more.also : [more.also] } : {}),
});

export const DEFAULT_RULES: readonly ScanRule[] = [
  // ── remote code execution ────────────────────────────────────────────────────────────────
  rule(
    "pipe-to-shell",
    "remote-code-execution",
    "critical",
    String.raw`(?i)\bcurl\b.*\|\s*${PIPE_TARGET}|\b(?:ba|z|k|da)?sh\b\s+(?:-\S+\s+)*["']?${SUBST}\s*curl\b|(?:\bsource|\beval|^\s*\.|[;&|]\s*\.)\s+["']?${SUBST}\s*curl\b`,
    "Piping curl output to a shell runs whatever the server sends",
    /\bcurl\b/i,
    ["\\bcurl"],
    // A pipe, or a substitution of curl after a shell, `source`, `eval` or `.` (the pattern's other two forms).
    { also: [/\||\s["']?(?:\$\(|`|<\()\s*curl\b/i, /\||sh\b|source|eval|^\s*\.|[;&]\s*\./i] },
  ),
  rule(
    "wget-pipe-to-shell",
    "remote-code-execution",
    "critical",
    String.raw`(?i)\bwget\b.*\|\s*${PIPE_TARGET}|\b(?:ba|z|k|da)?sh\b\s+(?:-\S+\s+)*["']?${SUBST}\s*wget\b|(?:\bsource|\beval|^\s*\.|[;&|]\s*\.)\s+["']?${SUBST}\s*wget\b`,
    "Piping wget output to a shell runs whatever the server sends",
    /\bwget\b/i,
    ["\\bwget"],
    { also: /[|`]|\$\(|<\(/ },
  ),
  rule(
    "eval-with-fetch",
    "remote-code-execution",
    "critical",
    String.raw`(?i)\b(?:eval|exec|Function)\s*\(.*\b(?:fetch|requests?|https?|urlopen|urllib|curl|wget|axios|XMLHttpRequest)\b`,
    "eval/exec of something fetched from the network is code injection",
    /\b(?:eval|exec|function)\s*\(/i,
    ["\\beval", "\\bexec", "\\bfunction"],
    { also: /fetch|request|http|url(?:open|lib)|curl|wget|axios/i },
  ),
  rule(
    "fetch-with-eval",
    "remote-code-execution",
    "critical",
    String.raw`(?i)\b(?:fetch|requests?|https?|urlopen|urllib|curl|wget|axios|XMLHttpRequest)\b.*\b(?:eval|exec|Function)\s*\(`,
    "Network fetch feeding eval/exec is code injection",
    /\b(?:eval|exec|function)\s*\(/i,
    ["\\beval", "\\bexec", "\\bfunction"],
    { also: /fetch|request|http|url(?:open|lib)|curl|wget|axios/i },
  ),
  rule(
    "base64-decode-exec",
    "remote-code-execution",
    "critical",
    String.raw`(?i)\bbase64\b[^|]*?\s(?:-d|-D|--decode)\b.*\|\s*${PIPE_TARGET}|\b(?:ba|z|k|da)?sh\b\s+(?:-\S+\s+)*["']?${SUBST}.*\bbase64\s+(?:-\S+\s+)*(?:-d|-D|--decode)\b|\beval\s+["']?${SUBST}.*\bbase64\s+(?:-\S+\s+)*(?:-d|-D|--decode)\b|\b(?:exec|eval)\s*\(.*\b(?:b64decode|atob|decodebytes)\s*\(`,
    "Decoding base64 into a shell or eval hides what runs",
    /\bbase64\b|\b(?:b64decode|atob|decodebytes)\s*\(/i,
    ["base64", "b64decode", "atob", "decodebytes"],
    { also: [/[|`(]/, /-d\b|--decode\b|\b(?:exec|eval)\s*\(/i] },
  ),
  // ── agent tampering ─────────────────────────────────────────────────────────────────────
  rule(
    "soul-md-modification",
    "agent-tampering",
    "critical",
    String.raw`(?i)\b(?:write|writes|writing|modify|modifies|overwrite|overwrites|replace|replaces|edit|edits|append|appends|rewrite|truncate|update|change|delete|remove)\s+.*\bSOUL\.md\b|(?:>>?|\btee\s+(?:-a\s+)?|\bsed\s+-i\S*\s+.*|\b(?:cp|mv|truncate|rm|ln)\s+.*)\s*["']?\S*SOUL\.md\b`,
    "Modifying SOUL.md tampers with the agent's identity",
    /soul\.md/i,
    ["soul.md"],
  ),
  rule(
    "memory-md-modification",
    "agent-tampering",
    "critical",
    String.raw`(?i)\b(?:write|writes|writing|modify|modifies|overwrite|overwrites|replace|replaces|edit|edits|append|appends|rewrite|truncate|update|change|delete|remove)\s+.*\bMEMORY\.md\b|(?:>>?|\btee\s+(?:-a\s+)?|\bsed\s+-i\S*\s+.*|\b(?:cp|mv|truncate|rm|ln)\s+.*)\s*["']?\S*MEMORY\.md\b`,
    "Modifying MEMORY.md tampers with the agent's memory",
    /memory\.md/i,
    ["memory.md"],
  ),
  // ── reverse shells ──────────────────────────────────────────────────────────────────────
  rule(
    "reverse-shell-bash",
    "reverse-shell",
    "critical",
    String.raw`(?i)\b(?:ba|z|k)?sh\s+-i\s*(?:[0-9]?>&|&>|>)\s*/dev/(?:tcp|udp)/|\bexec\s+\d+<>\s*/dev/(?:tcp|udp)/`,
    "Interactive shell connected to a network socket (reverse shell)",
    /\/dev\/(?:tcp|udp)\//i,
    ["/dev/tcp/", "/dev/udp/"],
  ),
  rule(
    "reverse-shell-nc",
    "reverse-shell",
    "critical",
    String.raw`(?i)\b(?:nc|netcat|nc\.traditional|nc\.openbsd)\s+.*(?:-[ec]|--exec)\s*${SH_PATH}`,
    "Netcat serving a shell (reverse shell)",
    /\b(?:nc|netcat|nc\.traditional|nc\.openbsd)\s/i,
    ["\\bnc", "\\bnetcat"],
    { also: /-[ec]|--exec/i },
  ),
  rule(
    "reverse-shell-ncat",
    "reverse-shell",
    "critical",
    String.raw`(?i)\bncat\s+.*(?:-[ec]|--exec|--sh-exec)\s*${SH_PATH}`,
    "Ncat serving a shell (reverse shell)",
    /\bncat\s/i,
    ["\\bncat"],
    { also: /-[ec]|--exec|--sh-exec/i },
  ),
  rule(
    "reverse-shell-mkfifo",
    "reverse-shell",
    "critical",
    String.raw`(?i)\b(?:mkfifo\s+|mknod\s+\S+\s+p\b).*\b(?:nc|ncat|netcat|telnet|socat|openssl\s+s_client)\b`,
    "Named pipe wired to a network client (reverse shell)",
    /\bmk(?:fifo|nod)\s/i,
    ["\\bmkfifo", "\\bmknod"],
  ),
  rule(
    "reverse-shell-python",
    "reverse-shell",
    "critical",
    String.raw`(?i)\.connect\s*\(.*\b(?:subprocess|pty\.spawn|os\.dup2)\b|\bos\.dup2\s*\(.*\bsocket\b|\bsocket\b.*\bos\.dup2\s*\(|\bpty\.spawn\s*\(\s*["'](?:/bin/)?(?:ba|z|k)?sh\b`,
    "Python socket wired to a shell (reverse shell)",
    /\.connect\s*\(|\bos\.dup2\s*\(|\bpty\.spawn\s*\(/i,
    [".connect", "dup2", "pty.spawn"],
  ),
  rule(
    "reverse-shell-perl",
    "reverse-shell",
    "critical",
    String.raw`(?i)\bperl\b.*\bsocket\b.*\b(?:exec|system)\b.*/bin/(?:ba|z|k|da)?sh\b`,
    "Perl socket wired to a shell (reverse shell)",
    /\bperl\b/i,
    ["\\bperl"],
  ),
  rule(
    "reverse-shell-ruby",
    "reverse-shell",
    "critical",
    String.raw`(?i)\bruby\b.*\bTCPSocket\b.*\b(?:exec|system|spawn|popen)\b.*/bin/(?:ba|z|k|da)?sh\b`,
    "Ruby socket wired to a shell (reverse shell)",
    /\bruby\b/i,
    ["\\bruby"],
  ),
  // ── credential access ───────────────────────────────────────────────────────────────────
  rule(
    "env-file-reference",
    "credential-access",
    "warning",
    String.raw`(?i)(?:^|[^\w.$-])\.env(?:\.[\w-]+)?\b`,
    "References to .env files may leak secrets",
    /\.env\b/i,
    [".env"],
    {
      also: /(?:^|[^\w.$-])\.env/i,
      unless: String.raw`(?i)\.env\.(?:example|sample|template|dist|defaults)$`,
    },
  ),
  rule(
    "credential-ssh-keys",
    "credential-access",
    "high",
    String.raw`${HOME}/\.ssh/(?:id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?(?:\.pub)?|authorized_keys2?|identity)\b`,
    "Access to SSH private keys or authorized_keys",
    /\/\.ssh\//,
    ["/.ssh/"],
    { unless: String.raw`\.pub$` },
  ),
  rule(
    "credential-aws",
    "credential-access",
    "high",
    String.raw`${HOME}/\.aws/(?:credentials|config)\b`,
    "Access to AWS credentials",
    /\/\.aws\//,
    ["/.aws/"],
  ),
  rule(
    "credential-cloud-config",
    "credential-access",
    "high",
    String.raw`${HOME}/\.(?:config/gcloud|kube/config|azure)\b`,
    "Access to cloud provider credentials",
    /\/\.(?:config\/gcloud|kube\/config|azure)\b/,
    ["/.config/gcloud", "/.kube/config", "/.azure"],
  ),
  rule(
    "credential-browser-cookies",
    "credential-access",
    "high",
    String.raw`(?i:\bcookies\.(?:sqlite|binarycookies)\b)|\bLogin ?Data\b|(?i:chrome|chromium|brave|edge|firefox|mozilla|safari|opera|vivaldi)[^\s"']*/(?:Cookies|Login Data|key4\.db|logins\.json)\b`,
    "Access to browser credential stores",
    // Case as the pattern has it: only `cookies.` is matched in any case.
    /[cC][oO][oO][kK][iI][eE][sS]\.|\/Cookies\b|Login ?Data|\/(?:key4\.db|logins\.json)/,
    ["cookies", "login", "key4.db", "logins.json"],
  ),
  rule(
    "credential-keychain",
    "credential-access",
    "high",
    String.raw`\bsecurity\s+(?:-\S+\s+)*(?:find-(?:generic|internet)-password|dump-keychain)\b|\bkeyctl\s+(?:read|print|pipe)\b|\bsecret-tool\s+lookup\b`,
    "OS keychain credential access",
    /\bsecurity\s|\bkeyctl\s|\bsecret-tool\s/,
    ["\\bsecurity", "\\bkeyctl", "\\bsecret-tool"],
    {
      also: /find-(?:generic|internet)-password|dump-keychain|\bkeyctl\s+(?:read|print|pipe)\b|\bsecret-tool\s+lookup\b/,
    },
  ),
  rule(
    "credential-etc-shadow",
    "credential-access",
    "high",
    String.raw`(?i)\b(?:cat|head|tail|less|more|grep|egrep|awk|sed|cp|scp|strings|xxd|od|base64|tar|zip|vi|vim|nano|tee|dd|openssl|curl|python[0-9.]*)\b[^|;&]*/etc/(?:g?shadow|master\.passwd)\b|\bopen\s*\(\s*["']/etc/g?shadow\b|<\s*/etc/g?shadow\b`,
    "Reading /etc/shadow password hashes",
    /\/etc\/(?:g?shadow|master\.passwd)\b/i,
    ["/etc/shadow", "/etc/gshadow", "/etc/master.passwd"],
  ),
  // ── exfiltration ────────────────────────────────────────────────────────────────────────
  rule(
    "exfil-dns-tunnel",
    "exfiltration",
    "high",
    String.raw`${CMD}(?:dig|nslookup|host|drill|resolvectl\s+query)\s+[^#\n]*(?:\$\{?\w|\$\(|` + "`" + `)`,
    "DNS query with variable interpolation (potential tunneling)",
    /\b(?:dig|nslookup|host|drill|resolvectl)\s/i,
    ["\\bdig", "\\bnslookup", "\\bhost", "\\bdrill", "\\bresolvectl"],
    // Not `\s.*[$\`]` in one expression: after each of many "host " a backtracking engine would
    // scan to the line's end again (quadratic on a crafted line).
    { also: [/[$`]/, new RegExp(String.raw`${CMD}(?:dig|nslookup|host|drill|resolvectl)\s`)] },
  ),
  rule(
    "exfil-dev-tcp",
    "exfiltration",
    "high",
    String.raw`/dev/(?:tcp|udp)/`,
    "Bash network device access (/dev/tcp or /dev/udp)",
    /\/dev\/(?:tcp|udp)\//,
    ["/dev/tcp/", "/dev/udp/"],
  ),
  rule(
    "exfil-nc-outbound",
    "exfiltration",
    "high",
    String.raw`${CMD}(?:nc|netcat|ncat)\s+(?:-[a-zA-Z]+(?:\s+\d+)?\s+)*[a-zA-Z0-9][\w.-]*\s+\d{1,5}\b`,
    "Netcat outbound connection",
    /\b(?:nc|netcat|ncat)\s/i,
    ["\\bnc", "\\bnetcat"],
    { also: /\d/ },
  ),
  // ── process injection ───────────────────────────────────────────────────────────────────
  rule(
    "injection-ptrace",
    "process-injection",
    "critical",
    String.raw`\bptrace\s*\(\s*(?:PTRACE_ATTACH|PTRACE_SEIZE|PTRACE_POKETEXT|PTRACE_POKEDATA)\b`,
    "ptrace process injection",
    /\bptrace\s*\(/,
    ["\\bptrace"],
  ),
  rule(
    "injection-ld-preload",
    "process-injection",
    "critical",
    String.raw`\bLD_PRELOAD\s*=|\bLD_PRELOAD["']\]?\s*=|/etc/ld\.so\.preload\b`,
    "LD_PRELOAD shared library injection",
    /LD_PRELOAD|ld\.so\.preload/,
    ["ld_preload", "ld.so.preload"],
  ),
  rule(
    "injection-proc-mem",
    "process-injection",
    "critical",
    String.raw`/proc/(?:\d+|self|\$\{?\w+\}?)/mem\b`,
    "Direct process memory access via /proc/*/mem",
    /\/proc\/[^/\s]+\/mem\b/,
    ["/proc/"],
  ),
  rule(
    "injection-gdb-attach",
    "process-injection",
    "critical",
    String.raw`\bgdb\s+(?:-\S+\s+)*?(?:-p|--pid|attach)\b|\bgdb\b.*\s-ex\s+["']?attach\b`,
    "Debugger attached to a running process",
    /\bgdb\s/,
    ["\\bgdb"],
  ),
  // ── privilege escalation ────────────────────────────────────────────────────────────────
  rule(
    "privesc-sudo",
    "privilege-escalation",
    "high",
    String.raw`${CMD}sudo\s+-?[\w./-]+`,
    "sudo invocation",
    /\bsudo\s/,
    ["\\bsudo"],
    { also: new RegExp(String.raw`${CMD}sudo\s`) },
  ),
  rule(
    "privesc-setuid",
    "privilege-escalation",
    "high",
    String.raw`\bchmod\s+(?:-\w+\s+)*(?:[ugoa]*[+=][rwxXt]*s|0?[2-7][0-7]{3})\b`,
    "setuid/setgid bit manipulation",
    /\bchmod\s/,
    ["\\bchmod"],
    { also: /[+=][rwxXt]*s|[2-7][0-7]{3}/ },
  ),
  rule(
    "privesc-setcap",
    "privilege-escalation",
    "high",
    String.raw`\bsetcap\b`,
    "Linux capability manipulation",
    /\bsetcap\b/,
    ["\\bsetcap"],
  ),
  rule(
    "privesc-chown-root",
    "privilege-escalation",
    "high",
    String.raw`\bchown\s+(?:-\w+\s+)*(?:root\b|0(?::|\s))`,
    "Ownership change to root",
    /\bchown\s/,
    ["\\bchown"],
  ),
  rule(
    "privesc-nsenter",
    "privilege-escalation",
    "high",
    String.raw`\b(?:nsenter|unshare)\s+\S`,
    "Namespace manipulation (container escape risk)",
    /\b(?:nsenter|unshare)\s/,
    ["\\bnsenter", "\\bunshare"],
  ),
  // ── file system and downloads ───────────────────────────────────────────────────────────
  rule(
    "rm-rf-pattern",
    "filesystem-and-downloads",
    "critical",
    String.raw`\brm\s+(?:(?:-\w+|--[\w-]+)\s+)*?(?:-\w*[rR]\w*|--recursive)\s+(?:(?:-\w+|--[\w-]+)\s+)*["']?(?:/(?:\*|(?:etc|usr|var|home|bin|boot|lib|lib64|opt|root|sbin|srv|sys|proc|dev)/?\*?)?|(?:~|\$HOME|\$\{HOME\})/?\*?)["']?(?:\s|$|[;&|)\x60])|\brm\b.*--no-preserve-root`,
    "Recursive deletion of the root, a home or a system folder",
    // The second alternative needs no space after `rm` (`rm" --no-preserve-root`).
    /\brm(?:\s|\b.*--no-preserve-root)/,
    ["\\brm"],
    { also: [/-\w*[rR]|--recursive|--no-preserve-root/, /\s["']?(?:\/|~|\$\{?HOME)|--no-preserve-root/] },
  ),
  rule(
    "chmod-777",
    "filesystem-and-downloads",
    "warning",
    String.raw`\bchmod\s+(?:-\w+\s+)*(?:0?777|0?666|[ao]?\+rwx|[ao]\+w|o=rwx)\b`,
    "World-writable permissions",
    /\bchmod\s/,
    ["\\bchmod"],
    { also: /777|666|\+rwx|[ao]\+w|o=rwx/ },
  ),
  rule(
    "symlink-escape",
    "filesystem-and-downloads",
    "medium",
    String.raw`\bln\s+(?:-\w+\s+)*-\w*s\w*\s+(?:-\w+\s+)*["']?(?:/(?:etc|home|root|var|tmp|usr|proc|sys|dev|boot)\b|~|\$HOME)`,
    "Symlink to a sensitive system folder",
    /\bln\s/,
    ["\\bln"],
  ),
  rule(
    "path-traversal-deep",
    "filesystem-and-downloads",
    "medium",
    String.raw`(?i)(?:\.\.|%2e%2e)(?:/|\\|%2f|%5c)(?:\.\.|%2e%2e)(?:/|\\|%2f|%5c)(?:\.\.|%2e%2e)`,
    "Deep relative path traversal (3+ levels)",
    /(?:\.\.|%2e%2e)(?:\/|\\|%2f|%5c)(?:\.\.|%2e%2e)/i,
    ["..", "%2e%2e"],
  ),
  rule(
    "downloader-curl-save",
    "filesystem-and-downloads",
    "medium",
    String.raw`\bcurl\b.*\s(?:-[a-zA-Z]*[oO]|--output|--remote-name(?:-all)?)(?:\s|=|$)|\bcurl\b[^|]*\s>>?\s*\S`,
    "curl saving remote content to a file",
    /\bcurl\b/,
    ["\\bcurl"],
    { also: /\s-[a-zA-Z]*[oO](?:\s|=|$)|--output|--remote-name|>/ },
  ),
  rule(
    "downloader-wget-save",
    "filesystem-and-downloads",
    "medium",
    String.raw`\bwget\b.*\s(?:-[a-zA-Z]*O\s*[^-\s]|--output-document(?:\s|=)\s*[^-\s]|-P\s+\S|--directory-prefix)`,
    "wget saving remote content to a file",
    /\bwget\b/,
    ["\\bwget"],
    { also: /\s-[a-zA-Z]*O|--output-document|\s-P\s|--directory-prefix/ },
  ),
  rule(
    "downloader-chmod-exec",
    "filesystem-and-downloads",
    "medium",
    String.raw`\bchmod\s+(?:-\w+\s+)*(?:[ugoa]*\+[rw]*x|0?[0-7]?[1357][0-7]{2}\b)`,
    "Making a file executable (possible download-and-execute chain)",
    /\bchmod\s/,
    ["\\bchmod"],
  ),
];
