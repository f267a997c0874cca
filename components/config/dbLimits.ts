// How many connections each database the program can run on accepts by default, minus what the
// provider keeps for itself. Pure. Each figure names its source.
import type { BackendSpec } from "./spec";

export interface ConnectionLimit {
    /** Connections MLflow may open: max_connections minus the reserved ones. */
    usable: number;
    /** max_connections and where it comes from, for messages and the README. */
    source: string;
}

/**
 * The postgres container's max_connections (PostgreSQL's default is 100): room for a pool of 8
 * per engine with two workers, auth and a dedicated job runner (connections.ts). Each idle slot
 * costs PostgreSQL a few hundred bytes of shared memory.
 */
export const POSTGRES_CONTAINER_MAX_CONNECTIONS = 200;
// superuser_reserved_connections is 3 by default
// (https://www.postgresql.org/docs/current/runtime-config-connection.html).
const POSTGRES_CONTAINER = { max: POSTGRES_CONTAINER_MAX_CONNECTIONS, reserved: 3 };

// RDS: max_connections is LEAST({DBInstanceClassMemory/9531392}, 5000), where
// DBInstanceClassMemory is the class's memory less what the OS and RDS keep (about 0.77 of it on
// a db.t4g.micro, which reports 87). 3 superuser + 2 rds_superuser connections are reserved.
// https://docs.aws.amazon.com/prescriptive-guidance/latest/tuning-postgresql-parameters/max-connections.html
// https://repost.aws/knowledge-center/rds-postgresql-error-connection-slots
const RDS_MEMORY_SHARE = 0.75;
const RDS_RESERVED = 5;
const RDS_SIZE_GIB: Record<string, number> = { micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, "2xlarge": 32, "4xlarge": 64, "8xlarge": 128 };

/** GiB of an RDS instance class: t (burstable) and m (general) follow RDS_SIZE_GIB, r has twice. */
export function rdsClassMemoryGiB(instanceClass: string): number | undefined {
    const m = /^db\.([tmr])\d+[a-z]*\.([a-z0-9]+)$/.exec(instanceClass);
    const base = m ? RDS_SIZE_GIB[m[2]] : undefined;
    if (!m || base === undefined) return undefined;
    if (m[1] === "t" && base > 32) return undefined;
    if (m[1] !== "t" && base < 8) return undefined;
    return m[1] === "r" ? base * 2 : base;
}

function rdsLimit(instanceClass: string): ConnectionLimit | undefined {
    const gib = rdsClassMemoryGiB(instanceClass);
    if (gib === undefined) return undefined;
    const max = Math.min(Math.floor((gib * 2 ** 30 * RDS_MEMORY_SHARE) / 9531392), 5000);
    return { usable: max - RDS_RESERVED, source: `about ${max} on ${instanceClass} (RDS: DBInstanceClassMemory/9531392), ${RDS_RESERVED} reserved` };
}

// Azure Database for PostgreSQL Flexible Server: max_connections per compute size, 15 of them
// reserved for replication and monitoring.
// https://learn.microsoft.com/en-us/azure/postgresql/flexible-server/concepts-limits
const AZURE_MAX: Record<string, number> = {
    B1ms: 50, B2s: 429, B2ms: 859, B4ms: 1718, B8ms: 3437,
    D2: 859, D4: 1718, D8: 3437, D16: 5000,
    E2: 1718, E4: 3437, E8: 5000,
};
const AZURE_RESERVED = 15;

function azureLimit(skuName: string): ConnectionLimit | undefined {
    const name = skuName.replace(/^Standard_/, "");
    const key = name.startsWith("B") ? name : /^([DE]\d+)[a-z]*s_v\d$/.exec(name)?.[1];
    const max = key ? AZURE_MAX[key] : undefined;
    if (max === undefined) return undefined;
    return { usable: max - AZURE_RESERVED, source: `${max} on ${skuName}, ${AZURE_RESERVED} reserved by Azure (Flexible Server limits)` };
}

// Cloud SQL for PostgreSQL: max_connections by the instance's memory; superuser_reserved_connections
// is PostgreSQL's 3. https://cloud.google.com/sql/docs/postgres/quotas#cloud-sql-for-postgresql-connection-limits
const CLOUDSQL_BY_MEMORY_MIB: [number, number][] = [
    [3840, 50], // below 3.75 GB: db-g1-small (1.7 GB)
    [6144, 100],
    [7680, 200],
    [15360, 400],
    [30720, 500],
    [61440, 600],
    [122880, 800],
];
const CLOUDSQL_RESERVED = 3;

function cloudSqlLimit(tier: string): ConnectionLimit | undefined {
    let max: number;
    if (tier === "db-f1-micro") {
        max = 25;
    } else if (tier === "db-g1-small") {
        max = 50;
    } else {
        const mib = Number(/^db-custom-\d+-(\d+)$/.exec(tier)?.[1]);
        if (!mib) return undefined;
        max = CLOUDSQL_BY_MEMORY_MIB.find(([below]) => mib < below)?.[1] ?? 1000;
    }
    return { usable: max - CLOUDSQL_RESERVED, source: `${max} on ${tier} (Cloud SQL's default by memory), ${CLOUDSQL_RESERVED} reserved` };
}

/** The limit of the stack's database, or undefined where the program cannot know it. */
export function connectionLimit(backend: BackendSpec): ConnectionLimit | undefined {
    switch (backend.type) {
        case "sqlite":
            return undefined;
        case "postgres":
            return backend.mode === "container"
                ? { usable: POSTGRES_CONTAINER.max - POSTGRES_CONTAINER.reserved, source: `${POSTGRES_CONTAINER.max} (set on the postgres container), ${POSTGRES_CONTAINER.reserved} reserved` }
                : undefined;
        case "rds":
            return rdsLimit(backend.instanceClass);
        case "azure-postgres":
            return azureLimit(backend.skuName);
        case "cloudsql":
            return cloudSqlLimit(backend.tier);
    }
}
