// mlflow:jobRunner: whether `mlflow server` runs MLflow's job runner (huey consumers for the
// GenAI jobs: LLM judges and scorers, evaluation, issue detection, prompt optimisation; and a
// periodic-task consumer for online scoring and trace archival). Pure.
//
// Measured here (MLflow 3.17.2, the project's contract, idle, PSS of the process tree): 2 workers
// 1906 MiB with it, 603 MiB without; 4 workers 2258 vs 946 MiB. A tracking-only team pays about
// 1.3 GiB per replica for features it does not use, so it is off unless asked for.
//
// MLflow keeps the job queue in a per-server temporary directory and wants its periodic tasks on
// exactly one instance, so "on" needs the server to run as exactly one instance that is never
// scaled to zero (and, on Cloud Run, has its CPU allocated outside requests).
import { Collector } from "./collector";
import { show } from "./problems";
import type { Platform } from "./spec";

export const JOB_RUNNER_MODES = ["off", "on"] as const;
export type JobRunnerMode = (typeof JOB_RUNNER_MODES)[number];
export const DEFAULT_JOB_RUNNER: JobRunnerMode = "off";

export function parseJobRunner(c: Collector, value: unknown): JobRunnerMode | undefined {
    if (value === undefined) {
        return DEFAULT_JOB_RUNNER;
    }
    const v = typeof value === "boolean" ? (value ? "on" : "off") : value;
    if (typeof v === "string" && (JOB_RUNNER_MODES as readonly string[]).includes(v)) {
        return v as JobRunnerMode;
    }
    c.add("jobRunner", `got ${show(value)}`, "off (tracking only) | on (MLflow's GenAI jobs: judges, evaluation, issue detection, prompt optimisation)", c.set("jobRunner", DEFAULT_JOB_RUNNER));
    return undefined;
}

/** How many instances of the server a cloud stack may run: [min, max]. */
export interface InstanceBounds {
    min: number;
    max: number;
    /** The settings key of each bound, for the fix command (e.g. aws.maxCount). */
    minKey: string;
    maxKey: string;
}

/** "on" only where the server is exactly one instance that stays up. */
export function checkJobRunner(c: Collector, mode: JobRunnerMode | undefined, platform: Platform | undefined, bounds: InstanceBounds | undefined): void {
    if (mode !== "on" || platform === undefined || platform === "docker" || bounds === undefined) {
        return;
    }
    const why = "on only with exactly one server instance that never scales to zero: MLflow's job queue lives in each server, and its periodic tasks must run on one instance";
    if (bounds.max !== 1) {
        c.add("jobRunner", `on with up to ${bounds.max} instances (mlflow:${bounds.maxKey} ${bounds.max})`, why, `${c.set(bounds.maxKey, "1")}  (or: ${c.set("jobRunner", "off")})`);
    } else if (bounds.min !== 1) {
        c.add("jobRunner", `on with mlflow:${bounds.minKey} ${bounds.min} (scales to zero, and the queued jobs stop with it)`, why, `${c.set(bounds.minKey, "1")}  (or: ${c.set("jobRunner", "off")})`);
    }
}
