// mlflow:backend and mlflow:artifacts, and which of them go together on which platform. Pure.

import { parseRdsBackend, RDS_FIELDS } from "./aws";
import { AZURE_POSTGRES_FIELDS, parseAzurePostgresBackend } from "./azure";
import { checkFields, Collector, parseTyped, PG_IDENT, PG_IDENT_TEXT, PlatformParseContext, stringField } from "./collector";
import { CLOUDSQL_FIELDS, parseCloudSqlBackend } from "./gcp";
import type { ParseInput, SecretKey } from "./parse";
import { show } from "./problems";
import { ARTIFACT_TYPES, ArtifactsSpec, BACKEND_TYPES, BackendSpec, DATA_MOUNT, MANAGED_BACKEND, NATIVE_ARTIFACTS, Platform } from "./spec";

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

function underDataMount(path: string): boolean {
    return path.startsWith(`${DATA_MOUNT}/`) && !path.split("/").includes("..");
}

export function parseBackend(c: Collector, value: unknown, input: ParseInput, ctx: PlatformParseContext): BackendSpec | undefined {
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

export function parseArtifacts(c: Collector, value: unknown, stack: string): ArtifactsSpec | undefined {
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

export function checkCombination(c: Collector, platform: Platform, backend: BackendSpec, artifacts: ArtifactsSpec, input: ParseInput): void {
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
