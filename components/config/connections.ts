// mlflow:dbPoolSize / mlflow:dbMaxOverflow against the database's connection limit. Pure.
//
// Every server process keeps one SQLAlchemy engine per store it uses (tracking, model registry,
// jobs, and the basic-auth app's), each with its own pool of up to pool size + max overflow
// connections. At the autoscaling maximum the deployment may therefore hold
//
//   instances × (workers × engines × pool + 1 for the start-up process)  [+ the job runner]
//
// connections, and that must stay below what the database accepts (dbLimits.ts), or requests fail
// with "too many clients" exactly when the service is busiest. Unless the stack sets the pool, the
// program sizes it from that limit, up to SQLAlchemy's own 5 + 10.
//
// A pool that is too small fails as well: MLflow's create_run opens a second session of the same
// engine while it holds one, so when every connection of a worker's pool is held by such requests
// they all wait out the pool timeout (30 s) and fail. Measured (`npm run bench -- --db-pool`, one
// worker, PostgreSQL + auth, 16 clients logging runs): 2 + 3 and 2 + 4 timed out; 3 + 4, 3 + 5,
// 4 + 6 and 5 + 10 served every request. So the program sizes no pool below 8 per engine, except
// on Cloud Run, where it caps the requests an instance gets below its pool (gcp.concurrency).
import { Collector } from "./collector";
import { ConnectionLimit, connectionLimit } from "./dbLimits";
import type { JobRunnerMode } from "./jobRunner";
import type { BackendSpec, DbPoolSpec } from "./spec";

export const MLFLOW_DEFAULT_POOL: DbPoolSpec = { size: 5, maxOverflow: 10 };
/** The smallest pool the program sizes by itself where nothing caps a worker's requests. */
export const MIN_POOL_CONNECTIONS = 8;
/** The smallest pool where the platform caps each worker's requests below the pool. */
export const MIN_CAPPED_POOL_CONNECTIONS = 2;
/** Processes of MLflow's job runner that open engines: the runner (or executor) and the periodic consumer. */
const JOB_RUNNER_PROCESSES = 2;

export interface ConnectionDemand {
    workers: number;
    auth: boolean;
    jobRunner: JobRunnerMode;
    /** Most instances of the server (1 on Docker). */
    maxInstances: number;
    /** The platform caps the requests each instance gets (Cloud Run's concurrency). */
    concurrencyCapped?: boolean;
}

export function minPool(d: Pick<ConnectionDemand, "concurrencyCapped">): number {
    return d.concurrencyCapped ? MIN_CAPPED_POOL_CONNECTIONS : MIN_POOL_CONNECTIONS;
}

/**
 * The most requests one instance may be given so that no worker's pool runs dry: pool − 1 per
 * engine, whatever the workers (each accepts connections on its own, so one may get them all).
 */
export function requestCap(pool: DbPoolSpec): number {
    return pool.size + pool.maxOverflow - 1;
}

/**
 * Cloud Run gives an instance at most gcp.concurrency requests at once: kept at requestCap, so a
 * burst queues at Cloud Run (which scales out) instead of timing out inside MLflow. A stack that
 * asks for more is refused.
 */
export function capRequests(c: Collector, concurrency: number, setByStack: boolean, pool: DbPoolSpec): number {
    const cap = requestCap(pool);
    if (setByStack && concurrency > cap) {
        c.add(
            "gcp.concurrency",
            `${concurrency} requests per instance, but a pool of ${describePool(pool)} per engine serves at most ${cap} without waiting for a connection`,
            `at most ${cap}, or a larger pool (mlflow:dbPoolSize, a larger database)`,
            c.set("gcp.concurrency", String(cap)),
        );
    }
    return Math.min(concurrency, cap);
}

/** Engines in one server process. */
export function enginesPerProcess(d: Pick<ConnectionDemand, "auth">): number {
    return 3 + (d.auth ? 1 : 0);
}

/** Connections the deployment may hold at once with pool connections per engine. */
export function peakConnections(d: ConnectionDemand, perEngine: number): number {
    const engines = enginesPerProcess(d);
    const perInstance = d.workers * engines * perEngine + 1;
    const runner =
        d.jobRunner === "on"
            ? d.maxInstances * JOB_RUNNER_PROCESSES * engines * perEngine
            : d.jobRunner === "dedicated"
              ? (1 + JOB_RUNNER_PROCESSES) * engines * perEngine + 1 // its one web worker, the runner, the periodic consumer
              : 0;
    return d.maxInstances * perInstance + runner;
}

/** The largest per-engine pool that fits the limit, or 0 when not even one connection does. */
export function largestFit(d: ConnectionDemand, limit: ConnectionLimit): number {
    let n = 0;
    while (n < MLFLOW_DEFAULT_POOL.size + MLFLOW_DEFAULT_POOL.maxOverflow && peakConnections(d, n + 1) <= limit.usable) n++;
    return n;
}

/** A pool of n connections per engine: a third kept open, the rest opened under load. */
export function poolOf(n: number): DbPoolSpec {
    const size = Math.max(1, Math.min(MLFLOW_DEFAULT_POOL.size, Math.ceil(n / 3)));
    return { size, maxOverflow: Math.max(1, n - size) };
}

export interface PoolKeys {
    /** The settings keys whose lowering makes room, for the fix commands. */
    instancesKey?: string;
    databaseKey?: string;
    /** The fewest instances the stack runs: a fix never lowers the maximum below it. */
    minInstances?: number;
}

/**
 * The pool: the stack's own (checked against the limit) or one sized from the limit.
 * `given` holds what the stack set; either field may be unset.
 */
export function resolveDbPool(c: Collector, given: Partial<DbPoolSpec>, backend: BackendSpec, d: ConnectionDemand, keys: PoolKeys): DbPoolSpec {
    const limit = connectionLimit(backend);
    if (given.size !== undefined || given.maxOverflow !== undefined || !limit) {
        const pool = { size: given.size ?? MLFLOW_DEFAULT_POOL.size, maxOverflow: given.maxOverflow ?? MLFLOW_DEFAULT_POOL.maxOverflow };
        if (limit) {
            const peak = peakConnections(d, pool.size + pool.maxOverflow);
            if (peak > limit.usable) {
                const fit = largestFit(d, limit);
                // The smallest pool is 1 + 1 (dbMaxOverflow 0 is refused): a fit of one connection has no pool setting.
                const fix = fit >= 2 ? `${c.set("dbPoolSize", String(poolOf(fit).size))} && ${c.set("dbMaxOverflow", String(poolOf(fit).maxOverflow))}` : fewerFix(c, d, limit, keys);
                c.add("dbPoolSize", `${pool.size} + ${pool.maxOverflow} per engine: up to ${peak} connections (${describe(d)})`, `at most ${limit.usable} (max_connections ${limit.source})`, fix);
            }
        }
        return pool;
    }
    const fit = largestFit(d, limit);
    if (fit < minPool(d)) {
        c.add(
            "dbPoolSize",
            `room for ${fit} connection${fit === 1 ? "" : "s"} per engine (${describe(d)})`,
            `at least ${minPool(d)} per engine within ${limit.usable} connections (max_connections ${limit.source})`,
            fewerFix(c, d, limit, keys),
        );
        return poolOf(Math.max(fit, 1));
    }
    return poolOf(fit);
}

function describe(d: ConnectionDemand): string {
    const parts = [`${d.maxInstances} instance${d.maxInstances === 1 ? "" : "s"} × ${d.workers} worker${d.workers === 1 ? "" : "s"} × ${enginesPerProcess(d)} engines`];
    if (d.jobRunner !== "off") parts.push(`the job runner (${d.jobRunner})`);
    return parts.join(" + ");
}

/**
 * The changes that leave every engine the smallest pool (minPool): each of the most workers, the most
 * instances or no job runner that fits on its own; when none does, all of them together; and,
 * where the database has a size, a larger one. Never a setting the stack already has.
 */
function fewerFix(c: Collector, d: ConnectionDemand, limit: ConnectionLimit, keys: PoolKeys): string {
    const fits = (x: ConnectionDemand) => largestFit(x, limit) >= minPool(x);
    const largest = (below: number, atLeast: number, ok: (n: number) => boolean) => {
        for (let n = below - 1; n >= atLeast; n--) if (ok(n)) return n;
        return undefined;
    };
    const fewestInstances = Math.max(1, keys.minInstances ?? 1);
    const fixes: string[] = [];
    const workers = largest(d.workers, 1, (workers) => fits({ ...d, workers }));
    if (workers !== undefined) fixes.push(c.set("workers", String(workers)));
    const instances = keys.instancesKey ? largest(d.maxInstances, fewestInstances, (maxInstances) => fits({ ...d, maxInstances })) : undefined;
    if (instances !== undefined) fixes.push(c.set(keys.instancesKey!, String(instances)));
    if (d.jobRunner !== "off" && fits({ ...d, jobRunner: "off" })) fixes.push(c.set("jobRunner", "off"));
    if (fixes.length === 0) {
        const together: string[] = [];
        if (d.workers > 1) together.push(c.set("workers", "1"));
        if (keys.instancesKey && d.maxInstances > fewestInstances) together.push(c.set(keys.instancesKey, String(fewestInstances)));
        if (d.jobRunner !== "off") together.push(c.set("jobRunner", "off"));
        const least = { ...d, workers: 1, maxInstances: keys.instancesKey ? Math.min(d.maxInstances, fewestInstances) : d.maxInstances, jobRunner: "off" as const };
        if (together.length > 1 && fits(least)) fixes.push(together.join(" && "));
    }
    if (keys.databaseKey) fixes.push(`a larger database (mlflow:${keys.databaseKey})`);
    return fixes.length > 0 ? fixes.join("  or  ") : `a database that accepts more connections than ${limit.usable}`;
}

export function describePool(p: DbPoolSpec): string {
    return `${p.size} + ${p.maxOverflow}`;
}
