// What the server needs in memory, as measured by `npm run bench` (scripts/bench), and the
// memory every platform gives it by default. Pure.
//
// The figures are the PSS (proportional set size) of the server's whole process tree under load
// (16 MLflow clients logging runs), on PostgreSQL, MLflow 3.17.2. Re-measure with `npm run bench`
// after an MLflow upgrade and update them here; the README's benchmark table shows the run.
import type { JobRunnerMode, ServerRole } from "./jobRunner";

export const MEASURED = "2026-12-02, npm run bench, MLflow 3.17.2, 2-core Intel Xeon (README: benchmark)";

type ByWorkers = Record<1 | 2 | 4, number>;

/**
 * Under-load PSS in MiB: [auth][job runner][workers], the larger of the SQLite and PostgreSQL
 * figures of the run in the README.
 */
export const UNDER_LOAD_MIB: Record<"auth" | "noAuth", Record<"off" | "on", ByWorkers>> = {
    noAuth: { off: { 1: 411, 2: 618, 4: 975 }, on: { 1: 1711, 2: 1922, 4: 2272 } },
    auth: { off: { 1: 429, 2: 826, 4: 1233 }, on: { 1: 1742, 2: 2180, 4: 2580 } },
};

/** The dedicated job-runner instance (one worker, MLflow's executor engine, the periodic consumer). */
export const JOB_RUNNER_INSTANCE_MIB: Record<"auth" | "noAuth", number> = { noAuth: 742, auth: 758 };

/**
 * Single sign-on (mlflow-oidc-auth) on top of the auth figures, per worker process: measured
 * after start, idle, 1 worker +41 MiB (469 vs 428 MiB PSS) and 2 workers +63 MiB (689 vs 626);
 * 41 per worker covers both. Not measured under load (the benchmark's clients use basic auth).
 */
export const SSO_EXTRA_MIB_PER_WORKER = 41;

/** Every platform's default memory is at least this multiple of the footprint. */
export const HEADROOM = 1.3;

/**
 * Under-load PSS of one server instance: measured for 1, 2 and 4 workers, linear beyond. `auth`:
 * any sign-in; `sso`: it is single sign-on, which adds SSO_EXTRA_MIB_PER_WORKER.
 */
export function footprintMiB(workers: number, jobRunner: JobRunnerMode, auth: boolean, role: ServerRole = "server", sso = false): number {
    if (sso) {
        return footprintMiB(workers, jobRunner, true, role) + SSO_EXTRA_MIB_PER_WORKER * (role === "job-runner" ? 1 : workers);
    }
    const table = UNDER_LOAD_MIB[auth ? "auth" : "noAuth"];
    if (role === "job-runner") {
        return JOB_RUNNER_INSTANCE_MIB[auth ? "auth" : "noAuth"];
    }
    // The web servers of "dedicated" run no job runner.
    const byWorkers = table[jobRunner === "on" ? "on" : "off"];
    if (workers === 1 || workers === 2 || workers === 4) {
        return byWorkers[workers];
    }
    const perWorker = (byWorkers[4] - byWorkers[2]) / 2;
    return Math.round(workers < 4 ? byWorkers[2] + perWorker * (workers - 2) : byWorkers[4] + perWorker * (workers - 4));
}

/** The memory to give by default: the footprint with HEADROOM, rounded up to `step` MiB. */
export function withHeadroom(footprint: number, step: number): number {
    return Math.ceil((footprint * HEADROOM) / step) * step;
}

export interface MemoryCheck {
    /** The settings key, e.g. aws.memory. */
    key: string;
    /** What the stack gives one instance, in MiB. */
    givenMiB: number;
    footprintMiB: number;
    /** The setting that keeps HEADROOM, as the fix command writes it (e.g. "3072", "1.25"). */
    fixKey: string;
    fixValue: string;
    /** How the configuration runs, for the message (e.g. "2 workers, auth, job runner off"). */
    running: string;
}

/** Refuses memory below the measured footprint; warns below HEADROOM. */
export function checkMemory(c: { add(key: string, given: string, allowed: string, fix: string): void; set(key: string, value: string): string; warnings: string[] }, m: MemoryCheck): void {
    const recommended = Math.ceil(m.footprintMiB * HEADROOM);
    if (m.givenMiB < m.footprintMiB) {
        c.add(
            m.key,
            `${m.givenMiB} MiB, below the ${m.footprintMiB} MiB the server uses under load (${m.running}; measured, components/config/footprint.ts): it would be killed out of memory`,
            `at least ${m.footprintMiB} MiB; ${recommended} MiB or more keeps 30% headroom`,
            c.set(m.fixKey, m.fixValue),
        );
    } else if (m.givenMiB < recommended) {
        c.warnings.push(`mlflow:${m.key} gives ${m.givenMiB} MiB, less than 30% above the ${m.footprintMiB} MiB the server uses under load (${m.running}); ${c.set(m.fixKey, m.fixValue)} keeps the headroom.`);
    }
}

export function describeRun(workers: number, jobRunner: JobRunnerMode, auth: boolean, sso = false): string {
    return `${workers} worker${workers === 1 ? "" : "s"}, ${sso ? "single sign-on" : auth ? "auth" : "no auth"}, job runner ${jobRunner}`;
}
