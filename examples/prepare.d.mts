/** Where each model-driven example's tools read their data. */
export declare const EXAMPLE_DATA: Readonly<Record<"log-triage" | "diff-review", string>>;
/** Puts an example's data in place (built aside, renamed in); returns its folder. */
export declare function prepareExample(name: "log-triage" | "diff-review"): string;
