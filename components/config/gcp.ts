// `mlflow:gcp` (platform gcp) and `mlflow:backend` type cloudsql -> typed settings. Pure.

import { checkMemory, withHeadroom } from "./footprint";
import { boolField, choiceField, Collector, intField, parseSettings, PG_IDENT, PG_IDENT_TEXT, PlatformParseContext, stringField, stringListField } from "./collector";
import { show } from "./problems";

export const GCP_FIELDS = [
    "project",
    "region",
    "cpu",
    "memoryMiB",
    "minInstances",
    "maxInstances",
    "concurrency",
    "requestTimeoutSeconds",
    "ingress",
    "access",
    "invokers",
    "customDomain",
    "domainMapping",
    "network",
    "subnetwork",
    "subnetCidr",
];

export const CLOUDSQL_FIELDS = [
    "type",
    "database",
    "authDatabase",
    "user",
    "tier",
    "diskGb",
    "highAvailability",
    "backups",
    "pointInTimeRecovery",
    "backupRetentionDays",
];

/** Cloud SQL for PostgreSQL: the major version is pinned; Cloud SQL applies minor versions in maintenance. */
export const CLOUD_SQL_DATABASE_VERSION = "POSTGRES_17";

/** Cloud Run CPU counts (whole vCPUs) and the memory range (MiB) each allows. */
export const CLOUD_RUN_MEMORY: Record<number, [number, number]> = {
    1: [512, 4096],
    2: [512, 8192],
    4: [2048, 16384],
    6: [4096, 24576],
    8: [4096, 32768],
};

/** Cloud Run memory with 30% headroom over the footprint (footprint.ts), in 256 MiB steps, within what the CPU allows. */
export function defaultCloudRunMemory(cpu: number, footprint: number | undefined): number {
    const [min, max] = CLOUD_RUN_MEMORY[cpu] ?? CLOUD_RUN_MEMORY[1];
    const need = footprint === undefined ? 2048 : withHeadroom(footprint, 256);
    return Math.min(Math.max(need, min), max);
}

/** Cloud Run's ingress settings, by the name the config uses. */
export const INGRESS = {
    all: "INGRESS_TRAFFIC_ALL",
    internal: "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "internal-and-cloud-load-balancing": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
} as const;
export type IngressSetting = keyof typeof INGRESS;

/**
 * Who may call the service:
 * - `public`: anyone on the internet reaches it (allUsers invoker); MLflow basic auth is the gate,
 *   so this requires mlflow:auth.
 * - `iam`: Cloud Run checks a Google identity token (roles/run.invoker for `invokers`).
 * - `iap`: Identity-Aware Proxy on the service itself; `invokers` get roles/iap.httpsResourceAccessor.
 */
export const ACCESS_MODES = ["public", "iam", "iap"] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

export interface GcpNetworkSpec {
    /** An existing VPC (name) with private services access already set up; absent: the program creates one. */
    network?: string;
    /** An existing subnetwork of `network` in the region, for Direct VPC egress. */
    subnetwork?: string;
    /** CIDR of the created subnetwork (Direct VPC egress takes addresses from it). */
    subnetCidr: string;
}

export interface GcpSpec {
    project: string;
    region: string;
    /** vCPUs per instance. */
    cpu: number;
    memoryMiB: number;
    /** 0 lets the service scale to zero (staging default). */
    minInstances: number;
    maxInstances: number;
    /** Requests one instance serves at once. */
    concurrency: number;
    /** Cloud Run request timeout: long enough for large proxied artifact uploads and downloads. */
    requestTimeoutSeconds: number;
    ingress: IngressSetting;
    access: AccessMode;
    /** IAM members (user:, group:, serviceAccount:, domain:) allowed in with access iam or iap. */
    invokers: string[];
    /** A host name users reach MLflow by, besides the run.app URL. */
    customDomain?: string;
    /** Create a Cloud Run domain mapping for customDomain (false: a load balancer of your own serves it). */
    domainMapping: boolean;
    network: GcpNetworkSpec;
}

export interface CloudSqlBackendSpec {
    type: "cloudsql";
    database: string;
    authDatabase: string;
    user: string;
    /** Machine tier, e.g. db-f1-micro, db-g1-small, db-custom-1-3840. */
    tier: string;
    diskGb: number;
    /** Regional (two-zone) instance with automatic failover. */
    highAvailability: boolean;
    backups: boolean;
    pointInTimeRecovery: boolean;
    backupRetentionDays: number;
}

const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REGION = /^[a-z]+-[a-z]+\d+$/;
const DOMAIN = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/;
const MEMBER = /^(user|group|serviceAccount|domain|principal|principalSet):[^\s,]+$/;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/(1[6-9]|2[0-6])$/;
const GCP_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function parseGcpSettings(c: Collector, value: unknown, ctx: PlatformParseContext, _backendType: string | undefined): GcpSpec | undefined {
    const obj = parseSettings(c, "gcp", value, GCP_FIELDS);
    if (!obj) {
        return undefined;
    }
    const k = "gcp";
    const project = stringField(c, k, obj, "project", PROJECT_ID, "a GCP project id (6-30 lower-case letters, digits and -)", ctx.providerConfig["gcp:project"]);
    const region = stringField(c, k, obj, "region", REGION, "a GCP region such as europe-west1", ctx.providerConfig["gcp:region"]);
    if (project === undefined && obj.project === undefined && !ctx.providerConfig["gcp:project"]) {
        c.add("gcp.project", "is not set, nor gcp:project", "the id of the GCP project to deploy into", `pulumi config set gcp:project my-project --stack ${ctx.stack}`);
    }
    if (region === undefined && obj.region === undefined && !ctx.providerConfig["gcp:region"]) {
        c.add("gcp.region", "is not set, nor gcp:region", "a GCP region such as europe-west1", `pulumi config set gcp:region europe-west1 --stack ${ctx.stack}`);
    }

    const cpu = intField(c, k, obj, "cpu", 1, 8, 1, "vCPUs: 1, 2, 4, 6 or 8");
    const memoryMiB = intField(c, k, obj, "memoryMiB", 512, 32768, defaultCloudRunMemory(cpu ?? 1, ctx.server?.footprintMiB), "MiB");
    const minInstances = intField(c, k, obj, "minInstances", 0, 100, ctx.production ? 1 : 0, "instances; 0 scales to zero");
    // Non-prod runs on db-f1-micro, which accepts 25 connections: one instance leaves each of
    // its engines a pool of 5 (components/config/connections.ts); two would leave 2.
    const maxInstances = intField(c, k, obj, "maxInstances", 1, 100, ctx.production ? 4 : 1, "instances");
    const concurrency = intField(c, k, obj, "concurrency", 1, 1000, 40, "requests per instance");
    const requestTimeoutSeconds = intField(c, k, obj, "requestTimeoutSeconds", 60, 3600, 900, "seconds, Cloud Run allows up to 3600");
    const ingress = choiceField(c, k, obj, "ingress", Object.keys(INGRESS) as IngressSetting[], "all");
    const access = choiceField(c, k, obj, "access", ACCESS_MODES, "public");
    const invokers = stringListField(c, k, obj, "invokers", MEMBER, "IAM members such as group:ml-team@example.com, user:ana@example.com, domain:example.com");
    const customDomain = stringField(c, k, obj, "customDomain", DOMAIN, "a fully qualified lower-case host name such as mlflow.example.com");
    const domainMapping = boolField(c, k, obj, "domainMapping", true);
    const network = stringField(c, k, obj, "network", GCP_NAME, "the name of an existing VPC network with private services access, or unset to create one");
    const subnetwork = stringField(c, k, obj, "subnetwork", GCP_NAME, "the name of an existing subnetwork of gcp.network in the region");
    const subnetCidr = stringField(c, k, obj, "subnetCidr", CIDR, "an IPv4 CIDR from /16 to /26 for the created subnetwork (Direct VPC egress needs at least /26)", "10.10.0.0/24");

    if (cpu !== undefined && memoryMiB !== undefined) {
        const range = CLOUD_RUN_MEMORY[cpu];
        if (!range) {
            c.add("gcp.cpu", `got ${cpu}`, `a Cloud Run CPU count: ${Object.keys(CLOUD_RUN_MEMORY).join(", ")}`, c.set("gcp.cpu", "1"));
        } else if (memoryMiB < range[0] || memoryMiB > range[1]) {
            c.add("gcp.memoryMiB", `${memoryMiB} MiB does not fit ${cpu} vCPU`, `${range[0]} to ${range[1]} MiB with cpu ${cpu}`, c.set("gcp.memoryMiB", String(defaultCloudRunMemory(cpu, ctx.server?.footprintMiB))));
        } else if (ctx.server) {
            const fit = defaultCloudRunMemory(cpu, ctx.server.footprintMiB);
            checkMemory(c, { key: "gcp.memoryMiB", givenMiB: memoryMiB, footprintMiB: ctx.server.footprintMiB, fixKey: "gcp.memoryMiB", fixValue: String(fit), running: ctx.server.running });
        }
    }
    if (minInstances !== undefined && maxInstances !== undefined && minInstances > maxInstances) {
        c.add("gcp.minInstances", `${minInstances} is above maxInstances ${maxInstances}`, "minInstances <= maxInstances", c.set("gcp.maxInstances", String(Math.max(minInstances, 1))));
    }
    if (ctx.production && minInstances === 0) {
        c.warnings.push(`mlflow:gcp.minInstances is 0 on ${ctx.stack}: the first request after an idle period waits for a cold start (MLflow takes several seconds to boot).`);
    }
    if (access === "public" && ctx.authEnabled === false) {
        c.add(
            "gcp.access",
            "public with mlflow:auth false: anyone on the internet could read and change every experiment",
            "public only with mlflow:auth true; or iam / iap to let Google identities in",
            `${c.set("gcp.access", "iam")} (or: ${c.set("auth", "true")})`,
        );
    }
    if (access !== undefined && access !== "public" && invokers !== undefined && invokers.length === 0) {
        c.add(
            "gcp.invokers",
            `is empty with access ${access}: nobody could reach the server`,
            `the IAM members allowed in, e.g. ["group:ml-team@example.com"]`,
            c.set("gcp.invokers[0]", "group:ml-team@example.com"),
        );
    }
    if (access === "public" && invokers !== undefined && invokers.length > 0) {
        c.add("gcp.invokers", `is set with access public (everyone may call the service)`, "invokers only with access iam or iap", c.set("gcp.access", "iam"));
    }
    if (network !== undefined && subnetwork === undefined) {
        c.add("gcp.subnetwork", `is not set for the existing network ${show(network)}`, "a subnetwork of that network in the stack's region, for Direct VPC egress", c.set("gcp.subnetwork", "<subnet-name>"));
    }
    if (subnetwork !== undefined && network === undefined) {
        c.add("gcp.network", "is not set, but subnetwork is", "the VPC network the subnetwork belongs to", c.set("gcp.network", "<network-name>"));
    }
    if (obj.domainMapping !== undefined && customDomain === undefined && obj.customDomain === undefined) {
        c.add("gcp.domainMapping", "is set without gcp.customDomain", "gcp.customDomain, the host name to map", c.set("gcp.customDomain", "mlflow.example.com"));
    }

    const values = [project, region, cpu, memoryMiB, minInstances, maxInstances, concurrency, requestTimeoutSeconds, ingress, access, invokers, domainMapping, subnetCidr];
    if (values.some((v) => v === undefined) || (obj.customDomain !== undefined && !customDomain) || (obj.network !== undefined && !network) || (obj.subnetwork !== undefined && !subnetwork)) {
        return undefined;
    }
    return {
        project: project!,
        region: region!,
        cpu: cpu!,
        memoryMiB: memoryMiB!,
        minInstances: minInstances!,
        maxInstances: maxInstances!,
        concurrency: concurrency!,
        requestTimeoutSeconds: requestTimeoutSeconds!,
        ingress: ingress!,
        access: access!,
        invokers: invokers!,
        customDomain,
        domainMapping: domainMapping!,
        network: { network, subnetwork, subnetCidr: subnetCidr! },
    };
}

const TIER = /^db-(f1-micro|g1-small|custom-\d{1,2}-\d{3,6})$/;

export function parseCloudSqlBackend(c: Collector, obj: Record<string, unknown>, ctx: PlatformParseContext): CloudSqlBackendSpec | undefined {
    const k = "backend";
    const database = stringField(c, k, obj, "database", PG_IDENT, PG_IDENT_TEXT, "mlflow");
    const authDatabase = stringField(c, k, obj, "authDatabase", PG_IDENT, PG_IDENT_TEXT, "mlflow_auth");
    const user = stringField(c, k, obj, "user", PG_IDENT, PG_IDENT_TEXT, "mlflow");
    const defaultTier = ctx.production ? "db-custom-1-3840" : "db-f1-micro";
    const tier = stringField(c, k, obj, "tier", TIER, "a Cloud SQL Enterprise tier: db-f1-micro, db-g1-small or db-custom-<vCPUs>-<MiB> (e.g. db-custom-2-7680)", defaultTier);
    const diskGb = intField(c, k, obj, "diskGb", 10, 65536, 10, "GB of SSD; it grows automatically");
    const highAvailability = boolField(c, k, obj, "highAvailability", ctx.production);
    const backups = boolField(c, k, obj, "backups", ctx.production);
    const pointInTimeRecovery = boolField(c, k, obj, "pointInTimeRecovery", ctx.production);
    const backupRetentionDays = intField(c, k, obj, "backupRetentionDays", 1, 365, ctx.production ? 14 : 7, "daily backups kept");

    if (database !== undefined && database === authDatabase) {
        c.add("backend.authDatabase", `is the same database as backend.database (${database})`, "a separate database for the basic-auth app", c.set("backend.authDatabase", `${database}_auth`));
    }
    if (user === "postgres" || user?.startsWith("cloudsql")) {
        c.add("backend.user", `${user} is reserved by Cloud SQL`, "another role name, e.g. mlflow", c.set("backend.user", "mlflow"));
    }
    if (pointInTimeRecovery === true && backups === false) {
        c.add("backend.pointInTimeRecovery", "is true but backend.backups is false", "point-in-time recovery needs automated backups", c.set("backend.backups", "true"));
    }
    if (tier !== undefined) {
        const m = /^db-custom-(\d+)-(\d+)$/.exec(tier);
        if (m) {
            const [cpus, mib] = [Number(m[1]), Number(m[2])];
            if ((cpus !== 1 && cpus % 2 !== 0) || cpus > 96 || mib % 256 !== 0 || mib < 3840 || mib < cpus * 922 || mib > cpus * 6656) {
                c.add(
                    "backend.tier",
                    `${tier} is not a valid custom machine`,
                    "1 or an even number of vCPUs up to 96, memory a multiple of 256 MiB from 0.9 to 6.5 GiB per vCPU and at least 3840 MiB",
                    c.set("backend.tier", "db-custom-1-3840"),
                );
            }
        }
        if (ctx.production && !m) {
            c.warnings.push(`mlflow:backend.tier ${tier} on ${ctx.stack} is a shared-core machine, which Cloud SQL's SLA does not cover.`);
        }
    }
    if (ctx.production && backups === false) {
        c.warnings.push(`mlflow:backend.backups is false on ${ctx.stack}: a lost database cannot be restored.`);
    }
    const values = [database, authDatabase, user, tier, diskGb, highAvailability, backups, pointInTimeRecovery, backupRetentionDays];
    if (values.some((v) => v === undefined)) {
        return undefined;
    }
    return {
        type: "cloudsql",
        database: database!,
        authDatabase: authDatabase!,
        user: user!,
        tier: tier!,
        diskGb: diskGb!,
        highAvailability: highAvailability!,
        backups: backups!,
        pointInTimeRecovery: pointInTimeRecovery!,
        backupRetentionDays: backupRetentionDays!,
    };
}
