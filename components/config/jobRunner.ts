// mlflow:jobRunner: whether and where MLflow's job runner runs (huey consumers for the GenAI
// jobs: LLM judges and scorers, evaluation, issue detection, prompt optimisation; and a
// periodic-task consumer for online scoring and trace archival). Pure.
//
// Measured here (components/config/footprint.ts, `npm run bench`): the job runner adds about
// 1.3 GiB to every server instance. A tracking-only team pays that for features it does not use,
// so it is off unless asked for.
//
// - on: as MLflow runs it, inside the one server instance. MLflow keeps the job queue in a
//   per-server temporary directory and wants its periodic tasks on exactly one instance, so "on"
//   needs the server to run as exactly one instance that is never scaled to zero (and, on Cloud
//   Run, has its CPU allocated outside requests).
// - dedicated: the web servers (any number of replicas) write submitted jobs to the tracking
//   database and run no job runner; one dedicated job-runner instance (a full server with one
//   worker, not exposed) claims them from the database with MLflow's executor engine, runs them,
//   and runs the periodic tasks. Every job runs once, on that instance; its status is in the
//   database, so every replica reports it.
import { Collector } from "./collector";
import { show } from "./problems";
import type { BackendType, Platform } from "./spec";

export const JOB_RUNNER_MODES = ["off", "on", "dedicated"] as const;
export type JobRunnerMode = (typeof JOB_RUNNER_MODES)[number];
export const DEFAULT_JOB_RUNNER: JobRunnerMode = "off";

/** Which part a server plays: the only kind ("server"), or one side of "dedicated". */
export type ServerRole = "server" | "web" | "job-runner";

export function parseJobRunner(c: Collector, value: unknown): JobRunnerMode | undefined {
    if (value === undefined) {
        return DEFAULT_JOB_RUNNER;
    }
    const v = typeof value === "boolean" ? (value ? "on" : "off") : value;
    if (typeof v === "string" && (JOB_RUNNER_MODES as readonly string[]).includes(v)) {
        return v as JobRunnerMode;
    }
    c.add(
        "jobRunner",
        `got ${show(value)}`,
        "off (tracking only) | on (MLflow's GenAI jobs inside the one server instance) | dedicated (one job-runner instance beside any number of web replicas)",
        c.set("jobRunner", DEFAULT_JOB_RUNNER),
    );
    return undefined;
}

/** The environment of `mlflow server` for a mode and role (MLflow's own default is "on"). */
export function jobRunnerEnv(mode: JobRunnerMode, role: ServerRole): Record<string, string> {
    if (mode === "off") {
        return { MLFLOW_SERVER_ENABLE_JOB_EXECUTION: "false" };
    }
    if (mode === "on") {
        return { MLFLOW_SERVER_ENABLE_JOB_EXECUTION: "true" };
    }
    const shared = { MLFLOW_SERVER_ENABLE_JOB_EXECUTION: "true", MLFLOW_SERVER_JOB_EXECUTION_ENGINE: "executor" };
    if (role === "job-runner") {
        return { ...shared, MLFLOW_SERVER_JOB_ENABLE_PERIODIC_TASKS: "true" };
    }
    // Read by the image's entrypoint: submit to the database, start no job runner.
    return { ...shared, MLFLOW_SERVER_JOB_ENABLE_PERIODIC_TASKS: "false", MLFLOW_DEPLOY_SUBMIT_JOBS_ONLY: "true" };
}

/** How many instances of the server a cloud stack may run: [min, max]. */
export interface InstanceBounds {
    min: number;
    max: number;
    /** The settings key of each bound, for the fix command (e.g. aws.maxCount). */
    minKey: string;
    maxKey: string;
}

const ON_WHY = "on only with exactly one server instance that never scales to zero (MLflow's job queue lives in each server, and its periodic tasks must run on one instance); dedicated with any number of web replicas";

export function checkJobRunner(c: Collector, mode: JobRunnerMode | undefined, platform: Platform | undefined, bounds: InstanceBounds | undefined, backend: BackendType | undefined): void {
    if (mode === "dedicated") {
        if (backend === "sqlite") {
            c.add("jobRunner", "dedicated with SQLite", "dedicated needs a PostgreSQL backend the web servers and the job runner share; SQLite runs one instance, where on does the same with one container", c.set("jobRunner", "on"));
        }
        return;
    }
    if (mode !== "on" || platform === undefined || platform === "docker" || bounds === undefined) {
        return;
    }
    if (bounds.max !== 1) {
        // One instance is a maximum of 1 and a minimum of 1 together (a maximum of 1 alone leaves a
        // minimum of 0 scaling to zero). A stack that keeps several instances (prod on AWS keeps
        // two) can only go dedicated: a maximum of 1 would fall below its minimum.
        const dedicated = c.set("jobRunner", "dedicated");
        const one = [...(bounds.min === 0 ? [c.set(bounds.minKey, "1")] : []), c.set(bounds.maxKey, "1")].join(" && ");
        c.add("jobRunner", `on with up to ${bounds.max} instances (mlflow:${bounds.maxKey} ${bounds.max})`, ON_WHY, bounds.min > 1 ? dedicated : `${dedicated}  (or: ${one})`);
    } else if (bounds.min !== 1) {
        c.add("jobRunner", `on with mlflow:${bounds.minKey} ${bounds.min} (scales to zero, and the queued jobs stop with it)`, ON_WHY, `${c.set(bounds.minKey, "1")}  (or: ${c.set("jobRunner", "dedicated")})`);
    }
}
