// Stack configuration -> validated DeploymentSpec. Pure: no resources, no Pulumi runtime.
// Every problem is collected and reported at once, each naming the key, what was given,
// what is allowed, and the `pulumi config set` command that fixes it.

import { MIN_MLFLOW_MINOR, MLFLOW_VERSION } from "../versions";
import { parseAccess, SSO_MIN_MLFLOW_MINOR } from "./access";
import { parseAwsSettings } from "./aws";
import { parseAzureSettings } from "./azure";
import { closest, Collector, parseBool, parseInteger, parseTyped, PlatformParseContext } from "./collector";
import { capRequests, resolveDbPool } from "./connections";
import { describeRun, footprintMiB } from "./footprint";
import { parseGcpSettings } from "./gcp";
import { parseOperations } from "./operations";
import { checkJobRunner, InstanceBounds, parseJobRunner } from "./jobRunner";
import { ConfigError, configRmCommand, show } from "./problems";
import { hostOfDockerUrl, parseExtraArgs, parseExtraEnv, parseHosts, parseImage, parseOrigins, parsePublicHost } from "./serverKeys";
import { parseServerTuning } from "./serverTuning";
import { DeploymentSpec, Platform, PLATFORMS } from "./spec";
import { checkCombination, parseArtifacts, parseBackend } from "./stores";

export { hostOfDockerUrl };

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
    "userPasswords",
    "ssoClientSecret",
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
    "users",
    "grants",
    "defaultPermission",
    "sso",
    "allowedHosts",
    "corsAllowedOrigins",
    "publicHost",
    "extraArgs",
    "extraEnv",
    "aws",
    "azure",
    "gcp",
    "gc",
    "backup",
    "alerts",
    "restore",
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
    const adminUsername = parseName(c, "adminUsername", raw.adminUsername, "admin");
    const access = parseAccess(c, {
        stack: input.stack,
        raw,
        adminUsername,
        cacheSeconds: tuning?.authCacheSeconds,
        userPasswordsSet: input.secretsSet.has("userPasswords"),
        userPasswords: input.secretValues?.userPasswords,
        ssoClientSecretSet: input.secretsSet.has("ssoClientSecret"),
    });
    if (access?.sso && mlflowVersion && Number(mlflowVersion.split(".")[1]) < SSO_MIN_MLFLOW_MINOR) {
        c.add("mlflowVersion", `is ${mlflowVersion} with mlflow:sso`, `3.${SSO_MIN_MLFLOW_MINOR}.0 or newer: the single sign-on app (mlflow-oidc-auth) needs it`, c.set("mlflowVersion", MLFLOW_VERSION));
    }
    // Either app checks every request against a database of its own: sized alike.
    const authEnabled = access ? access.enabled || access.sso !== undefined : undefined;
    const sso = access?.sso !== undefined;
    // `protect` + `retainOnDelete` on the stack's data (volumes, databases, buckets, vaults).
    const protectData = parseBool(c, "protectData", raw.protectData, input.stack === "prod");
    const allowedHosts = parseHosts(c, raw.allowedHosts);
    const corsAllowedOrigins = parseOrigins(c, raw.corsAllowedOrigins);
    const publicHost = parsePublicHost(c, raw.publicHost, input.dockerHost);
    const extraArgs = parseExtraArgs(c, raw.extraArgs);
    const extraEnv = parseExtraEnv(c, raw.extraEnv);
    const image = parseImage(c, raw.image);
    const server =
        workers !== undefined && jobRunner !== undefined && authEnabled !== undefined
            ? { footprintMiB: footprintMiB(workers, jobRunner, authEnabled, "server", sso), running: describeRun(workers, jobRunner, authEnabled, sso) }
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

    const ops = parseOperations(c, { raw, platform, backend: backend?.type, artifacts: artifacts?.type, dbPasswordSet: input.secretsSet.has("dbPassword") });
    if (ops && !ops.backup && protectData && platform === "docker" && backend?.type !== undefined) {
        c.warnings.push(`mlflow:backup is not set on a stack whose data is protected: nothing copies its database and artifacts anywhere (README: Operations). ${c.set("backup.destination", "/srv/backups/mlflow")}`);
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
        auth: access!,
        dbPool: dbPool!,
        allowedHosts: allowedHosts!,
        corsAllowedOrigins: corsAllowedOrigins!,
        publicHost: publicHost!,
        extraArgs: extraArgs!,
        extraEnv: extraEnv!,
        backend,
        artifacts,
        protectData: protectData!,
        ops: ops!,
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
