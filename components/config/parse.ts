// Stack configuration -> validated DeploymentSpec. Pure: no resources, no Pulumi runtime.
// Every problem is collected and reported at once, each naming the key, what was given,
// what is allowed, and the `pulumi config set` command that fixes it.

import { MIN_MLFLOW_MINOR, MLFLOW_VERSION } from "../versions";
import { ConfigError, configRmCommand, show } from "./problems";
import {
    ARTIFACT_TYPES,
    ArtifactsSpec,
    BACKEND_TYPES,
    BackendSpec,
    DATA_MOUNT,
    DeploymentSpec,
    Platform,
    MANAGED_BACKEND,
    NATIVE_ARTIFACTS,
    PLATFORMS,
} from "./spec";
import { OWNED_ENV, OWNED_FLAGS, REFUSED_FLAGS } from "./owned";
import { parseAwsSettings, parseRdsBackend, RDS_FIELDS } from "./aws";
import { AZURE_POSTGRES_FIELDS, parseAzurePostgresBackend, parseAzureSettings } from "./azure";
import { CLOUDSQL_FIELDS, parseCloudSqlBackend, parseGcpSettings } from "./gcp";
import { checkJobRunner, InstanceBounds, parseJobRunner } from "./jobRunner";
import { parseServerTuning } from "./serverTuning";
import { capRequests, resolveDbPool } from "./connections";
import { describeRun, footprintMiB } from "./footprint";
import { checkFields, closest, Collector, parseBool, parseInteger, parseTyped, PG_IDENT, PG_IDENT_TEXT, PlatformParseContext, stringField } from "./collector";

/** Optional secrets, set with `pulumi config set --secret mlflow:<key>`. */
export const SECRET_KEYS = [
    "adminPassword",
    "dbPassword",
    "postgresUrl",
    "awsAccessKeyId",
    "awsSecretAccessKey",
    "azureStorageConnectionString",
    "azureStorageAccountKey",
    "gcpCredentialsJson",
] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

/** Plain (non-secret) keys. */
export const PLAIN_KEYS = [
    "platform",
    "backend",
    "artifacts",
    "port",
    "mlflowVersion",
    "image",
    "workers",
    "auth",
    "protectData",
    "jobRunner",
    "authCacheSeconds",
    "dbPoolSize",
    "dbMaxOverflow",
    "adminUsername",
    "allowedHosts",
    "corsAllowedOrigins",
    "publicHost",
    "extraArgs",
    "extraEnv",
    "aws",
    "azure",
    "gcp",
] as const;

export const DEFAULT_PORTS: Record<string, number> = { dev: 5000, staging: 5001, prod: 5002 };
export const DEFAULT_WORKERS = 2;
/**
 * The cloud stacks' instances have one vCPU by default, and on one core a second worker added
 * memory and start time but no throughput (README: benchmark): one worker per instance.
 */
export const DEFAULT_CLOUD_WORKERS = 1;

export interface ParseInput {
    project: string;
    stack: string;
    /** Every `mlflow:` key of the stack, without the prefix; values as Pulumi gives them (strings) or parsed. */
    raw: Record<string, unknown>;
    /** Which secret keys are set. Their values never reach the spec. */
    secretsSet: ReadonlySet<SecretKey>;
    /** Secret keys that were set in plain text (without --secret). */
    plaintextSecrets?: ReadonlySet<SecretKey>;
    /** Secret values, read only to validate their form; never shown in a message. */
    secretValues?: Partial<Record<SecretKey, string>>;
    /** `docker:host` of the stack, if set: the default public host on Docker. */
    dockerHost?: string;
    /** Provider configuration the cloud platforms need: `aws:region`, `azure-native:location`, `gcp:project`, `gcp:region`. */
    providerConfig?: Readonly<Record<string, string | undefined>>;
}

export interface ParseResult {
    spec: DeploymentSpec;
    warnings: string[];
}

const BACKEND_FIELDS: Record<string, string[]> = {
    sqlite: ["type", "path"],
    postgres: ["type", "mode", "database", "authDatabase", "user"],
    rds: RDS_FIELDS,
    "azure-postgres": AZURE_POSTGRES_FIELDS,
    cloudsql: CLOUDSQL_FIELDS,
};

const ARTIFACT_FIELDS: Record<string, string[]> = {
    local: ["type", "path", "prefix"],
    s3: ["type", "bucket", "endpointUrl", "region", "prefix"],
    "azure-blob": ["type", "storageAccount", "container", "resourceGroup", "location", "prefix"],
    gcs: ["type", "bucket", "location", "prefix"],
};

export function parseConfig(input: ParseInput): ParseResult {
    const c = new Collector(input.stack);
    // Pulumi.yaml declares "" as the default of optional strings: treat it as unset.
    const raw = Object.fromEntries(Object.entries(input.raw).filter(([, v]) => v !== "" && v !== undefined && v !== null));

    checkUnknownKeys(c, raw);
    checkSecretsAreSecret(c, input.plaintextSecrets);

    const platform = parsePlatform(c, raw.platform);
    const port = parsePort(c, raw.port, input.stack);
    const mlflowVersion = parseMlflowVersion(c, raw.mlflowVersion);
    const workers = parseWorkers(c, raw.workers, platform);
    const jobRunner = parseJobRunner(c, raw.jobRunner);
    const tuning = parseServerTuning(c, raw);
    const authEnabled = parseBool(c, "auth", raw.auth, input.stack !== "dev");
    // `protect` + `retainOnDelete` on the stack's data (volumes, databases, buckets, vaults).
    const protectData = parseBool(c, "protectData", raw.protectData, input.stack === "prod");
    const adminUsername = parseName(c, "adminUsername", raw.adminUsername, "admin");
    const allowedHosts = parseHosts(c, raw.allowedHosts);
    const corsAllowedOrigins = parseOrigins(c, raw.corsAllowedOrigins);
    const publicHost = parsePublicHost(c, raw.publicHost, input.dockerHost);
    const extraArgs = parseExtraArgs(c, raw.extraArgs);
    const extraEnv = parseExtraEnv(c, raw.extraEnv);
    const image = parseImage(c, raw.image);
    const server =
        workers !== undefined && jobRunner !== undefined && authEnabled !== undefined
            ? { footprintMiB: footprintMiB(workers, jobRunner, authEnabled), running: describeRun(workers, jobRunner, authEnabled) }
            : undefined;
    const platformCtx: PlatformParseContext = { stack: input.stack, providerConfig: input.providerConfig ?? {}, production: input.stack === "prod", authEnabled, server };
    const backend = parseBackend(c, raw.backend, input, platformCtx);
    const artifacts = parseArtifacts(c, raw.artifacts, input.stack);
    const cloud = parseCloudSettings(c, platform, raw, platformCtx, backend?.type);
    const bounds = instanceBounds(cloud);
    checkJobRunner(c, jobRunner, platform, bounds, backend?.type);
    const problemsBeforePool = c.problems.length;
    const dbPool =
        backend && tuning && workers !== undefined && jobRunner !== undefined && authEnabled !== undefined
            ? resolveDbPool(c, tuning.dbPool, backend, { workers, auth: authEnabled, jobRunner, maxInstances: bounds?.max ?? 1, concurrencyCapped: platform === "gcp" }, { instancesKey: bounds?.maxKey, minInstances: bounds?.min, databaseKey: DATABASE_SIZE_KEY[backend.type] })
            : undefined;
    // Only under a pool that fits: a cap from a refused pool would be a fix that fails again.
    if (cloud.gcp && dbPool && c.problems.length === problemsBeforePool) {
        cloud.gcp = { ...cloud.gcp, concurrency: capRequests(c, cloud.gcp.concurrency, parseTyped(raw.gcp)?.concurrency !== undefined, dbPool) };
    }

    if (platform && backend && artifacts) {
        checkCombination(c, platform, backend, artifacts, input);
    }
    if (!platform || !backend || !artifacts || c.problems.length > 0) {
        throw new ConfigError(input.stack, c.problems);
    }

    const spec: DeploymentSpec = {
        project: input.project,
        stack: input.stack,
        namePrefix: `${input.project}-${input.stack}`,
        platform,
        port: port!,
        mlflowVersion: mlflowVersion!,
        image,
        workers: workers!,
        jobRunner: jobRunner!,
        auth: { enabled: authEnabled!, adminUsername: adminUsername!, cacheSeconds: tuning!.authCacheSeconds },
        dbPool: dbPool!,
        allowedHosts: allowedHosts!,
        corsAllowedOrigins: corsAllowedOrigins!,
        publicHost: publicHost!,
        extraArgs: extraArgs!,
        extraEnv: extraEnv!,
        backend,
        artifacts,
        protectData: protectData!,
        ...cloud,
    };
    return { spec, warnings: c.warnings };
}

/** The key that sizes each managed database, named in the fix when the pool does not fit. */
const DATABASE_SIZE_KEY: Partial<Record<string, string>> = { rds: "backend.instanceClass", "azure-postgres": "backend.skuName", cloudsql: "backend.tier" };

/** How many server instances the cloud stack may run, from its settings. */
function instanceBounds(cloud: Pick<DeploymentSpec, "aws" | "azure" | "gcp">): InstanceBounds | undefined {
    if (cloud.aws) return { min: cloud.aws.minCount, max: cloud.aws.maxCount, minKey: "aws.minCount", maxKey: "aws.maxCount" };
    if (cloud.azure) return { min: cloud.azure.minReplicas, max: cloud.azure.maxReplicas, minKey: "azure.minReplicas", maxKey: "azure.maxReplicas" };
    if (cloud.gcp) return { min: cloud.gcp.minInstances, max: cloud.gcp.maxInstances, minKey: "gcp.minInstances", maxKey: "gcp.maxInstances" };
    return undefined;
}

/** The settings key of the platform in use; the other clouds' keys must be unset. */
function parseCloudSettings(c: Collector, platform: Platform | undefined, raw: Record<string, unknown>, ctx: PlatformParseContext, backendType: string | undefined): Pick<DeploymentSpec, "aws" | "azure" | "gcp"> {
    for (const key of ["aws", "azure", "gcp"] as const) {
        if (raw[key] !== undefined && platform !== undefined && key !== platform) {
            c.add(key, `is set, but the platform is ${platform}`, `mlflow:${platform === "docker" ? "<nothing>" : platform} settings only for the platform in use`, configRmCommand(c.stack, key));
        }
    }
    switch (platform) {
        case "aws":
            return { aws: parseAwsSettings(c, raw.aws, ctx, backendType) };
        case "azure":
            return { azure: parseAzureSettings(c, raw.azure, ctx, backendType) };
        case "gcp":
            return { gcp: parseGcpSettings(c, raw.gcp, ctx, backendType) };
        default:
            return {};
    }
}

function checkUnknownKeys(c: Collector, raw: Record<string, unknown>): void {
    const known = new Set<string>([...PLAIN_KEYS, ...SECRET_KEYS]);
    for (const key of Object.keys(raw)) {
        if (!known.has(key)) {
            const near = closest(key, [...known]);
            c.add(
                key,
                "is not a key this program reads",
                near ? `did you mean mlflow:${near}? Known keys: ${[...known].join(", ")}` : `one of ${[...known].join(", ")}`,
                configRmCommand(c.stack, key),
            );
        }
    }
}

function checkSecretsAreSecret(c: Collector, plaintext: ReadonlySet<SecretKey> | undefined): void {
    for (const key of plaintext ?? []) {
        c.add(
            key,
            "is stored in plain text in the stack file",
            "an encrypted value (set with --secret)",
            `${configRmCommand(c.stack, key)} && ${c.set(key, "<value>", { secret: true })}`,
        );
    }
}

function parsePlatform(c: Collector, value: unknown): Platform | undefined {
    const v = value ?? "docker";
    if (typeof v !== "string" || !(PLATFORMS as readonly string[]).includes(v)) {
        c.add("platform", `got ${show(v)}`, PLATFORMS.join(" | "), c.set("platform", "docker"));
        return undefined;
    }
    return v as Platform;
}

function parsePort(c: Collector, value: unknown, stack: string): number | undefined {
    const fallback = DEFAULT_PORTS[stack] ?? 5000;
    if (value === undefined) {
        return fallback;
    }
    const port = parseInteger(value);
    if (port === undefined || port < 1 || port > 65535) {
        c.add("port", `got ${show(value)}`, "an integer from 1 to 65535, different per stack (dev 5000, staging 5001, prod 5002)", c.set("port", String(fallback)));
        return undefined;
    }
    return port;
}

function parseMlflowVersion(c: Collector, value: unknown): string | undefined {
    const v = value ?? MLFLOW_VERSION;
    const m = typeof v === "string" ? /^3\.(\d+)\.(\d+)$/.exec(v) : null;
    if (!m || Number(m[1]) < MIN_MLFLOW_MINOR) {
        c.add(
            "mlflowVersion",
            `got ${show(v)}`,
            `an exact MLflow release 3.${MIN_MLFLOW_MINOR}.0 or newer, written X.Y.Z (never "latest"); the tested pin is ${MLFLOW_VERSION}`,
            c.set("mlflowVersion", MLFLOW_VERSION),
        );
        return undefined;
    }
    return v as string;
}

function parseWorkers(c: Collector, value: unknown, platform: Platform | undefined): number | undefined {
    if (value === undefined) {
        return platform === undefined || platform === "docker" ? DEFAULT_WORKERS : DEFAULT_CLOUD_WORKERS;
    }
    const n = parseInteger(value);
    if (n === undefined || n < 1 || n > 64) {
        c.add("workers", `got ${show(value)}`, "an integer from 1 to 64 (server worker processes)", c.set("workers", String(DEFAULT_WORKERS)));
        return undefined;
    }
    return n;
}

function parseName(c: Collector, key: string, value: unknown, fallback: string): string | undefined {
    const v = value ?? fallback;
    if (typeof v !== "string" || !/^[A-Za-z0-9_.@-]{1,64}$/.test(v)) {
        c.add(key, `got ${show(v)}`, "1 to 64 letters, digits or _ . @ -", c.set(key, fallback));
        return undefined;
    }
    return v;
}

/** A list given as a real list, a JSON list, or a comma-separated string. */
function parseList(value: unknown, commaSeparated: boolean): unknown[] | undefined {
    if (value === undefined || value === "") {
        return [];
    }
    if (Array.isArray(value)) {
        return value;
    }
    if (typeof value === "string") {
        const s = value.trim();
        if (s.startsWith("[")) {
            try {
                const parsed: unknown = JSON.parse(s);
                return Array.isArray(parsed) ? parsed : undefined;
            } catch {
                return undefined;
            }
        }
        if (commaSeparated) {
            return s.split(",").map((x) => x.trim()).filter((x) => x !== "");
        }
    }
    return undefined;
}

const HOST_PATTERN = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:(\d{1,5}|\*))?$/;

function parseHosts(c: Collector, value: unknown): string[] | undefined {
    const list = parseList(value, true);
    const example = "mlflow.example.com";
    if (!list) {
        c.add("allowedHosts", `got ${show(value)}`, "a list of host names, e.g. [\"mlflow.example.com\"]", c.set("allowedHosts[0]", example));
        return undefined;
    }
    const hosts: string[] = [];
    for (const [i, h] of list.entries()) {
        if (h === "*") {
            c.add(
                `allowedHosts[${i}]`,
                "\"*\" turns off MLflow's Host-header check (DNS-rebinding protection)",
                "host names or patterns such as mlflow.example.com, *.example.com, 10.0.0.5:5000",
                c.set(`allowedHosts[${i}]`, example),
            );
        } else if (typeof h !== "string" || !HOST_PATTERN.test(h)) {
            c.add(`allowedHosts[${i}]`, `got ${show(h)}`, "a host name, optionally with :port or :*, e.g. mlflow.example.com", c.set(`allowedHosts[${i}]`, example));
        } else {
            hosts.push(h);
        }
    }
    return hosts;
}

function parseOrigins(c: Collector, value: unknown): string[] | undefined {
    const list = parseList(value, true);
    const example = "https://mlflow.example.com";
    if (!list) {
        c.add("corsAllowedOrigins", `got ${show(value)}`, "a list of origins, e.g. [\"https://mlflow.example.com\"]", c.set("corsAllowedOrigins[0]", example));
        return undefined;
    }
    const origins: string[] = [];
    for (const [i, o] of list.entries()) {
        if (typeof o !== "string" || !/^https?:\/\/[A-Za-z0-9.*-]+(:\d{1,5})?$/.test(o)) {
            c.add(
                `corsAllowedOrigins[${i}]`,
                o === "*" ? "\"*\" lets any web site write to MLflow with a user's credentials" : `got ${show(o)}`,
                "an origin: scheme://host[:port] without a path, e.g. https://mlflow.example.com",
                c.set(`corsAllowedOrigins[${i}]`, example),
            );
        } else {
            origins.push(o);
        }
    }
    return origins;
}

/** The host part of a Docker host URL: ssh://user@vm -> vm, tcp://1.2.3.4:2376 -> 1.2.3.4. */
export function hostOfDockerUrl(dockerHost: string | undefined): string | undefined {
    if (!dockerHost || dockerHost.startsWith("unix:") || dockerHost.startsWith("npipe:")) {
        return undefined;
    }
    try {
        const url = new URL(dockerHost);
        return url.hostname.replace(/^\[|\]$/g, "") || undefined;
    } catch {
        return undefined;
    }
}

function parsePublicHost(c: Collector, value: unknown, dockerHost: string | undefined): string | undefined {
    const v = value ?? hostOfDockerUrl(dockerHost) ?? "localhost";
    if (typeof v !== "string" || v.includes(":") || !HOST_PATTERN.test(v) || v.includes("*")) {
        c.add("publicHost", `got ${show(v)}`, "the host name or IP address users reach the server by, without port", c.set("publicHost", "localhost"));
        return undefined;
    }
    return v;
}

function flagName(token: string): string {
    const eq = token.indexOf("=");
    return eq === -1 ? token : token.slice(0, eq);
}

function parseExtraArgs(c: Collector, value: unknown): string[] | undefined {
    const list = parseList(value, false);
    const example = "[\"--static-prefix\", \"/mlflow\"]";
    if (!list) {
        c.add("extraArgs", `got ${show(value)}`, `a list of mlflow server arguments, e.g. ${example}`, c.set("extraArgs", example));
        return undefined;
    }
    const args: string[] = [];
    let expectValue = false;
    let ok = true;
    for (const [i, arg] of list.entries()) {
        const key = `extraArgs[${i}]`;
        if (typeof arg !== "string" || arg === "") {
            c.add(key, `got ${show(arg)}`, "a non-empty string", configRmCommand(c.stack, key));
            ok = false;
            continue;
        }
        if (arg.startsWith("--")) {
            const name = flagName(arg);
            if (OWNED_FLAGS[name]) {
                c.add(key, `${show(arg)} is set by the program`, `flags other than ${Object.keys(OWNED_FLAGS).join(", ")}; ${OWNED_FLAGS[name]}`, configRmCommand(c.stack, key));
                ok = false;
            } else if (REFUSED_FLAGS[name]) {
                c.add(key, `${show(arg)} is refused`, REFUSED_FLAGS[name], configRmCommand(c.stack, key));
                ok = false;
            } else if (!/^--[a-z0-9][a-z0-9-]*$/.test(name)) {
                c.add(key, `${show(arg)} is not a well-formed flag`, "--long-flag, --long-flag=value, or --long-flag followed by its value", configRmCommand(c.stack, key));
                ok = false;
            }
            expectValue = !arg.includes("=");
        } else if (arg.startsWith("-") && !expectValue) {
            c.add(key, `short flag ${show(arg)}`, "long flags only (--port, not -p), so the program can tell which flags you set", configRmCommand(c.stack, key));
            ok = false;
        } else if (!expectValue) {
            c.add(key, `${show(arg)} is a value without a flag before it`, "each value right after its --flag", configRmCommand(c.stack, key));
            ok = false;
        } else {
            expectValue = false;
        }
        args.push(arg);
    }
    return ok ? args : undefined;
}

function parseExtraEnv(c: Collector, value: unknown): Record<string, string> | undefined {
    let v: unknown = value ?? {};
    if (typeof v === "string") {
        try {
            v = JSON.parse(v) as unknown;
        } catch {
            /* reported below */
        }
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
        c.add("extraEnv", `got ${show(value)}`, "a map of variable names to values, e.g. {\"MLFLOW_LOGGING_LEVEL\": \"INFO\"}", c.set("extraEnv.MLFLOW_LOGGING_LEVEL", "INFO"));
        return undefined;
    }
    const env: Record<string, string> = {};
    for (const [name, val] of Object.entries(v as Record<string, unknown>)) {
        const key = `extraEnv.${name}`;
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
            c.add(key, `${show(name)} is not a valid variable name`, "letters, digits and _, not starting with a digit", configRmCommand(c.stack, key));
        } else if (OWNED_ENV[name]) {
            c.add(key, `${name} is set by the program`, OWNED_ENV[name], configRmCommand(c.stack, key));
        } else if (typeof val === "string" || typeof val === "number" || typeof val === "boolean") {
            env[name] = String(val);
        } else {
            c.add(key, `got ${show(val)}`, "a string, number or boolean", c.set(key, "<value>"));
        }
    }
    return env;
}

function parseImage(c: Collector, value: unknown): string | undefined {
    if (value === undefined || value === "") {
        return undefined;
    }
    if (typeof value !== "string" || !/^[a-z0-9][a-z0-9._\-/:@]*$/.test(value) || value.endsWith(":latest") || !/[:@]/.test(value.split("/").pop()!)) {
        c.add(
            "image",
            `got ${show(value)}`,
            "a pinned image reference with a tag or digest other than latest, e.g. registry.example.com/mlflow:3.17.2-1",
            configRmCommand(c.stack, "image"),
        );
        return undefined;
    }
    return value;
}

function underDataMount(path: string): boolean {
    return path.startsWith(`${DATA_MOUNT}/`) && !path.split("/").includes("..");
}

function parseBackend(c: Collector, value: unknown, input: ParseInput, ctx: PlatformParseContext): BackendSpec | undefined {
    const obj = parseTyped(value ?? { type: "sqlite" });
    if (!obj || typeof obj.type !== "string" || !(BACKEND_TYPES as readonly string[]).includes(obj.type)) {
        c.add("backend.type", `got ${show(obj?.type ?? value)}`, BACKEND_TYPES.join(" | "), c.set("backend.type", "sqlite"));
        return undefined;
    }
    checkFields(c, "backend", obj, BACKEND_FIELDS[obj.type]);
    switch (obj.type) {
        case "sqlite": {
            const path = stringField(c, "backend", obj, "path", /^\/[A-Za-z0-9_./-]+\.db$/, `an absolute path ending in .db under ${DATA_MOUNT}/ (the data volume)`, `${DATA_MOUNT}/mlflow.db`);
            if (path && !underDataMount(path)) {
                c.add("backend.path", `${show(path)} is outside the data volume and would be lost when the container is replaced`, `a path under ${DATA_MOUNT}/`, c.set("backend.path", `${DATA_MOUNT}/mlflow.db`));
                return undefined;
            }
            return path ? { type: "sqlite", path } : undefined;
        }
        case "postgres": {
            const urlSet = input.secretsSet.has("postgresUrl");
            const modeValue = obj.mode ?? (urlSet ? "external" : "container");
            if (modeValue !== "container" && modeValue !== "external") {
                c.add("backend.mode", `got ${show(modeValue)}`, "container (a PostgreSQL container beside MLflow) | external (mlflow:postgresUrl)", c.set("backend.mode", "container"));
                return undefined;
            }
            if (modeValue === "external" && !urlSet) {
                c.add("postgresUrl", "is not set, but backend.mode is external", "a secret URL postgresql://user:password@host:5432/database", c.set("postgresUrl", "postgresql://mlflow:<password>@db.example.com:5432/mlflow", { secret: true }));
            }
            if (modeValue === "container" && urlSet) {
                c.add("backend.mode", "is container, but mlflow:postgresUrl is set too", "external (to use mlflow:postgresUrl) or container (and remove mlflow:postgresUrl)", c.set("backend.mode", "external"));
            }
            if (modeValue === "external" && urlSet) {
                checkPostgresUrl(c, input.secretValues?.postgresUrl);
            }
            const database = stringField(c, "backend", obj, "database", PG_IDENT, PG_IDENT_TEXT, "mlflow");
            const authDatabase = stringField(c, "backend", obj, "authDatabase", PG_IDENT, PG_IDENT_TEXT, "mlflow_auth");
            const user = stringField(c, "backend", obj, "user", PG_IDENT, PG_IDENT_TEXT, "mlflow");
            if (database && authDatabase && database === authDatabase) {
                c.add("backend.authDatabase", `is the same database as backend.database (${show(database)})`, "a separate database for the basic-auth app", c.set("backend.authDatabase", `${database}_auth`));
            }
            if (!database || !authDatabase || !user) {
                return undefined;
            }
            return { type: "postgres", mode: modeValue, database, authDatabase, user };
        }
        case "rds":
            return parseRdsBackend(c, obj, ctx);
        case "azure-postgres":
            return parseAzurePostgresBackend(c, obj, ctx);
        default:
            return parseCloudSqlBackend(c, obj, ctx);
    }
}

function checkPostgresUrl(c: Collector, url: string | undefined): void {
    if (url === undefined) {
        return;
    }
    const fix = c.set("postgresUrl", "postgresql://mlflow:<password>@db.example.com:5432/mlflow", { secret: true });
    let parsed: URL | undefined;
    try {
        parsed = new URL(url);
    } catch {
        parsed = undefined;
    }
    if (!parsed || !/^(postgres|postgresql|postgresql\+psycopg2):$/.test(parsed.protocol) || !parsed.hostname || parsed.pathname.length < 2) {
        c.add(
            "postgresUrl",
            "(value hidden) is not a PostgreSQL URL with a host and a database",
            "postgresql://user:password@host:5432/database, with special characters in user and password percent-encoded",
            fix,
        );
    }
}

const PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

function parseArtifacts(c: Collector, value: unknown, stack: string): ArtifactsSpec | undefined {
    const obj = parseTyped(value ?? { type: "local" });
    if (!obj || typeof obj.type !== "string" || !(ARTIFACT_TYPES as readonly string[]).includes(obj.type)) {
        c.add("artifacts.type", `got ${show(obj?.type ?? value)}`, ARTIFACT_TYPES.join(" | "), c.set("artifacts.type", "local"));
        return undefined;
    }
    checkFields(c, "artifacts", obj, ARTIFACT_FIELDS[obj.type]);
    const prefix = stringField(c, "artifacts", obj, "prefix", PREFIX_PATTERN, "a key prefix such as staging or team-a/staging, without leading or trailing /", stack);
    if (prefix === undefined) {
        return undefined;
    }
    switch (obj.type) {
        case "local": {
            const path = stringField(c, "artifacts", obj, "path", /^\/[A-Za-z0-9_./-]+$/, `an absolute directory under ${DATA_MOUNT}/`, `${DATA_MOUNT}/artifacts`);
            if (path && !underDataMount(path)) {
                c.add("artifacts.path", `${show(path)} is outside the data volume and would be lost when the container is replaced`, `a directory under ${DATA_MOUNT}/`, c.set("artifacts.path", `${DATA_MOUNT}/artifacts`));
                return undefined;
            }
            return path ? { type: "local", path: path.replace(/\/+$/, ""), prefix } : undefined;
        }
        case "s3": {
            const bucket = stringField(c, "artifacts", obj, "bucket", /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an existing S3 bucket name (3-63 lower-case letters, digits, . and -), or unset to create one");
            const endpointUrl = stringField(c, "artifacts", obj, "endpointUrl", /^https?:\/\/[^\s/]+(\/[^\s]*)?$/, "an http(s) URL of an S3-compatible endpoint, e.g. http://minio:9000");
            const region = stringField(c, "artifacts", obj, "region", /^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as eu-west-1");
            if (obj.bucket !== undefined && !bucket) return undefined;
            if (obj.endpointUrl !== undefined && !endpointUrl) return undefined;
            if (obj.region !== undefined && !region) return undefined;
            return { type: "s3", bucket, endpointUrl, region, prefix };
        }
        case "azure-blob": {
            const storageAccount = stringField(c, "artifacts", obj, "storageAccount", /^[a-z0-9]{3,24}$/, "an existing storage account name (3-24 lower-case letters and digits), or unset to create one");
            const container = stringField(c, "artifacts", obj, "container", /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, "a container name (3-63 lower-case letters, digits and single hyphens)", "mlflow-artifacts");
            const resourceGroup = stringField(c, "artifacts", obj, "resourceGroup", /^[A-Za-z0-9._()-]{1,90}$/, "a resource group name");
            const location = stringField(c, "artifacts", obj, "location", /^[a-z0-9]+$/, "an Azure region such as westeurope");
            if (!container || (obj.storageAccount !== undefined && !storageAccount)) return undefined;
            if (storageAccount && obj.container === undefined && !resourceGroup) {
                c.add(
                    "artifacts.container",
                    `is not set for the existing account ${show(storageAccount)}`,
                    "the name of an existing container in it, or artifacts.resourceGroup so the program can create one",
                    c.set("artifacts.container", "mlflow-artifacts"),
                );
                return undefined;
            }
            return {
                type: "azure-blob",
                storageAccount,
                container,
                existingContainer: storageAccount !== undefined && obj.container !== undefined,
                resourceGroup,
                location,
                prefix,
            };
        }
        default: {
            const bucket = stringField(c, "artifacts", obj, "bucket", /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, "an existing GCS bucket name (3-63 lower-case letters, digits, _ . -), or unset to create one");
            const location = stringField(c, "artifacts", obj, "location", /^[A-Za-z0-9-]+$/, "a GCS location such as EU, US or europe-west1", "EU");
            if ((obj.bucket !== undefined && !bucket) || !location) return undefined;
            return { type: "gcs", bucket, location, prefix };
        }
    }
}

function checkCombination(c: Collector, platform: Platform, backend: BackendSpec, artifacts: ArtifactsSpec, input: ParseInput): void {
    const cloud = platform === "docker" ? undefined : platform;
    if (backend.type === "sqlite" && cloud) {
        c.add(
            "backend.type",
            `sqlite on platform ${cloud}`,
            `${MANAGED_BACKEND[cloud]}, or postgres with mlflow:postgresUrl: SQLite needs one replica on a local disk, and ${cloud}'s containers have neither (a network file system gives "database is locked")`,
            c.set("backend.type", MANAGED_BACKEND[cloud]),
        );
    }
    for (const [owner, managed] of Object.entries(MANAGED_BACKEND)) {
        if (backend.type === managed && platform !== owner) {
            const here = cloud ? `${MANAGED_BACKEND[cloud]} | postgres` : "sqlite | postgres";
            c.add("backend.type", `${managed} on platform ${platform}`, `${managed} only with platform ${owner}; on ${platform}: ${here}`, c.set("backend.type", cloud ? MANAGED_BACKEND[cloud] : "postgres"));
        }
    }
    if (backend.type === "postgres" && backend.mode === "container" && cloud) {
        c.add("backend.mode", `container on platform ${cloud}`, `external (mlflow:postgresUrl), or backend type ${MANAGED_BACKEND[cloud]}: the program runs a PostgreSQL container only on Docker`, c.set("backend.type", MANAGED_BACKEND[cloud]));
    }
    if (artifacts.type === "local" && cloud) {
        c.add("artifacts.type", `local on platform ${cloud}`, `s3 | azure-blob | gcs: ${cloud}'s containers have no durable local disk`, c.set("artifacts.type", NATIVE_ARTIFACTS[cloud]));
    }
    const has = (k: SecretKey) => input.secretsSet.has(k);
    if (has("awsAccessKeyId") !== has("awsSecretAccessKey")) {
        const missing: SecretKey = has("awsAccessKeyId") ? "awsSecretAccessKey" : "awsAccessKeyId";
        c.add(missing, "is not set, but its pair is", "both mlflow:awsAccessKeyId and mlflow:awsSecretAccessKey, or neither", c.set(missing, "<value>", { secret: true }));
    }
    // A store of the platform's own cloud is reached with the platform's identity, without keys.
    const keyless = cloud !== undefined && NATIVE_ARTIFACTS[cloud] === artifacts.type;
    if (!keyless) {
        const where = cloud ? `platform ${cloud}` : "Docker";
        if (artifacts.type === "s3" && !has("awsAccessKeyId") && !has("awsSecretAccessKey")) {
            if (cloud && !artifacts.endpointUrl) {
                c.add("awsAccessKeyId", `is not set for s3 artifacts on ${where}`, `an access key pair for the bucket (the ${cloud} server has no AWS identity)`, c.set("awsAccessKeyId", "<value>", { secret: true }));
            } else {
                c.warnings.push(
                    `mlflow:artifacts is s3 on ${where} without mlflow:awsAccessKeyId/awsSecretAccessKey: the server will use the host's own AWS credentials (instance profile), if it has any.`,
                );
            }
        }
        if (artifacts.type === "azure-blob") {
            const credentialsSet = has("azureStorageConnectionString") || has("azureStorageAccountKey");
            if (artifacts.storageAccount !== undefined && !credentialsSet) {
                c.add(
                    "azureStorageConnectionString",
                    `is not set (nor mlflow:azureStorageAccountKey) for the existing account ${show(artifacts.storageAccount)}`,
                    `on ${where} the server has no Azure identity: a connection string or an account key of that account`,
                    c.set("azureStorageConnectionString", "DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net", { secret: true }),
                );
            }
            if (artifacts.storageAccount === undefined && credentialsSet) {
                c.add(
                    "artifacts.storageAccount",
                    "is not set, but credentials for an existing account are",
                    "the name of the storage account those credentials belong to (or remove the credentials to let the program create an account)",
                    c.set("artifacts.storageAccount", "<account>"),
                );
            }
        }
        if (artifacts.type === "gcs" && !has("gcpCredentialsJson")) {
            if (cloud) {
                c.add("gcpCredentialsJson", `is not set for gcs artifacts on ${where}`, `a service account key JSON for the bucket (the ${cloud} server has no Google identity)`, c.set("gcpCredentialsJson", "\"$(cat key.json)\"", { secret: true }));
            } else {
                c.warnings.push(
                    "mlflow:artifacts is gcs on Docker without mlflow:gcpCredentialsJson: the server will rely on the Docker host's Google default credentials, if it has any.",
                );
            }
        }
    }
}

