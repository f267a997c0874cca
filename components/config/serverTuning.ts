// How each server process uses the database and checks passwords: mlflow:authCacheSeconds,
// mlflow:dbPoolSize, mlflow:dbMaxOverflow. Pure.
import { Collector, parseInteger } from "./collector";
import { show } from "./problems";

/**
 * Seconds the basic-auth app caches a successful password check (MLflow's auth_cache_ttl_seconds,
 * off in MLflow). Without it every request pays a scrypt check: 113 ms of CPU measured here, so a
 * one-core server with auth managed 0 runs/s under 16 clients (README: benchmark). The cache is
 * per worker process: a password changed through MLflow's API stays valid on the other workers
 * and replicas for at most this long. 0 turns it off.
 */
export const DEFAULT_AUTH_CACHE_SECONDS = 60;

export interface ServerTuning {
    authCacheSeconds: number;
    /**
     * SQLAlchemy's pool of each engine in each server process (MLFLOW_SQLALCHEMYSTORE_POOL_SIZE,
     * _MAX_OVERFLOW), when the stack sets it; otherwise sized from the database (connections.ts).
     */
    dbPool: { size?: number; maxOverflow?: number };
}

function intKey(c: Collector, key: string, value: unknown, min: number, max: number, fallback: number, allowed: string): number | undefined {
    if (value === undefined) {
        return undefined;
    }
    const n = parseInteger(value);
    if (n === undefined || n < min || n > max) {
        c.add(key, `got ${show(value)}`, allowed, c.set(key, String(fallback)));
        return undefined;
    }
    return n;
}

export function parseServerTuning(c: Collector, raw: Record<string, unknown>): ServerTuning | undefined {
    const authCacheSeconds = intKey(c, "authCacheSeconds", raw.authCacheSeconds, 0, 3600, DEFAULT_AUTH_CACHE_SECONDS, "0 to 3600 seconds a successful password check is cached per server process (0: off)");
    const dbPoolSize = intKey(c, "dbPoolSize", raw.dbPoolSize, 1, 50, 5, "1 to 50 database connections each engine of each server process keeps open");
    // MLflow passes 0 on as "unset", which is SQLAlchemy's 10: refuse it rather than surprise.
    const dbMaxOverflow = intKey(c, "dbMaxOverflow", raw.dbMaxOverflow, 1, 50, 10, "1 to 50 extra connections each engine may open under load (MLflow reads 0 as SQLAlchemy's default of 10)");
    const bad = (key: string, v: number | undefined) => raw[key] !== undefined && v === undefined;
    if (bad("authCacheSeconds", authCacheSeconds) || bad("dbPoolSize", dbPoolSize) || bad("dbMaxOverflow", dbMaxOverflow)) {
        return undefined;
    }
    return { authCacheSeconds: authCacheSeconds ?? DEFAULT_AUTH_CACHE_SECONDS, dbPool: { size: dbPoolSize, maxOverflow: dbMaxOverflow } };
}
