/**
 * A configuration that cannot be used: every problem found, each with its place —
 * `file:line:col`, `environment NAME` or `flag --name`. Exit code 3 (a validation failure), or 1
 * when a file cannot be read at all (an I/O error).
 */

export interface ConfigProblem {
  where: string;
  message: string;
  /** The file could not be read (rather than read and found invalid). */
  io?: boolean;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly exitCode: number;
  constructor(readonly problems: readonly ConfigProblem[]) {
    const first = problems[0]!;
    super(
      `${first.where}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more configuration problem${problems.length === 2 ? "" : "s"})` : ""}`,
    );
    this.exitCode = problems.every((p) => p.io) ? 1 : 3;
  }

  /** One line per problem, `<where>: <message>` (the CLIs print each as an error). */
  get lines(): string[] {
    return this.problems.map((p) => `${p.where}: ${p.message}`);
  }
}
