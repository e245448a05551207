/** What the fuzz test and its worker threads exchange (mutation.test.ts, worker.ts). */
import type { FuzzInput } from "./mutate.js";

export interface WorkerJob {
  seed: number;
  from: number;
  to: number;
  inputs: FuzzInput[];
  projectRoot: string;
  /** [0]: index of the mutation running; [1]: stage (1 parse, 2 check, 3 fmt); [2]: mutations done. */
  progress: SharedArrayBuffer;
}

export interface Failure {
  index: number;
  stage: "parse" | "check" | "fmt";
  problem: string;
}

export interface WorkerStats {
  parsed: number;
  checked: number;
  formatted: number;
  clean: number;
  slowestMs: number;
  slowestIndex: number;
}

export const FMT_BROKEN_EVERY = 8;
export const STAGES = ["", "parse", "check", "fmt"] as const;
