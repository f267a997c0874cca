// The stores the integration tests run MLflow against (a real PostgreSQL, and local stand-ins
// for S3, Azure Blob and GCS), and the stack configuration that points a contract at them.
import * as assert from "assert";
import { parseConfig } from "../../components/config/parse";
import { DeploymentSpec } from "../../components/config/spec";
import {
    azureBlobArtifactsContract,
    gcsArtifactsContract,
    localArtifactsContract,
    postgresBackendContract,
    s3ArtifactsContract,
    sqliteBackendContract,
} from "../../components/stores/contracts";
import { ArtifactStoreContract, BackendStoreContract } from "../../components/stores/types";
import { python } from "./server";
import { AZURITE_ACCOUNT, Postgres, psql, Service, startAzurite, startGcsEmulator, startMoto, startPostgres } from "./services";

export const DB_PASSWORD = "p@ss:w/rd?#%& x"; // every character that breaks a naive URI
export const AWS_KEYS = { accessKeyId: "AKIAINTEGRATIONTEST", secretAccessKey: "integration/secret+key" };

export type BackendKind = "sqlite" | "postgres";
export type ArtifactKind = "local" | "s3" | "azure-blob" | "gcs";

export interface Stores {
    pg: Postgres;
    moto: { service: Service; endpoint: string };
    azurite: { service: Service; connectionString: string };
    gcs: { service: Service; host: string };
}

export async function startStores(): Promise<Stores> {
    const [pg, moto, azurite, gcs] = await Promise.all([startPostgres(), startMoto(), startAzurite(), startGcsEmulator()]);
    return { pg, moto, azurite, gcs };
}

export async function stopStores(stores: Stores | undefined): Promise<void> {
    if (stores) {
        await Promise.all([stores.pg.service.stop(), stores.moto.service.stop(), stores.azurite.service.stop(), stores.gcs.service.stop()]);
    }
}

/**
 * The spec of a dev stack on these stores (the "existing" bucket or container created), plus
 * `extra` stack configuration.
 */
export async function stackConfig(
    stores: Stores,
    id: string,
    backendKind: BackendKind,
    artifactKind: ArtifactKind,
    opts: { port: number; auth: boolean; extra?: Record<string, unknown> },
): Promise<{ spec: DeploymentSpec; rawArtifacts: Record<string, unknown> }> {
    const { port, auth } = opts;
    const storeName = id.replace(/[^a-z0-9]/g, "");
    const rawArtifacts: Record<string, unknown> = { type: artifactKind };
    if (artifactKind === "s3") {
        rawArtifacts.bucket = `mlflow-it-${storeName}`;
        rawArtifacts.endpointUrl = stores.moto.endpoint; // the store's endpoint: the one thing pointed at a stand-in
        rawArtifacts.region = "us-east-1";
    } else if (artifactKind === "azure-blob") {
        rawArtifacts.storageAccount = AZURITE_ACCOUNT;
        rawArtifacts.container = `mlflow-it-${storeName}`;
    } else if (artifactKind === "gcs") {
        rawArtifacts.bucket = `mlflow-it-${storeName}`;
    }
    const rawBackend = backendKind === "sqlite" ? { type: "sqlite" } : { type: "postgres", mode: "container", database: `mlflow_${storeName}`, authDatabase: `mlflow_${storeName}_auth`, user: `mlflow_${storeName}` };
    const secretsSet = new Set<"awsAccessKeyId" | "awsSecretAccessKey" | "azureStorageConnectionString">();
    if (artifactKind === "s3") {
        secretsSet.add("awsAccessKeyId").add("awsSecretAccessKey");
    }
    if (artifactKind === "azure-blob") {
        secretsSet.add("azureStorageConnectionString");
    }
    const { spec } = parseConfig({ project: "mlflow", stack: "dev", raw: { port, auth, backend: rawBackend, artifacts: rawArtifacts, ...opts.extra }, secretsSet });

    // The "existing" stores the program points at.
    if (artifactKind !== "local") {
        const created = await python("store_check.py", ["create", artifactKind, String(rawArtifacts.bucket ?? rawArtifacts.container)], storeEnv(artifactKind, stores));
        assert.strictEqual(created.code, 0, created.stderr);
    }
    return { spec, rawArtifacts };
}

/** Environment that lets the store's own SDK reach the stand-in (store-side checks only). */
export function storeEnv(kind: ArtifactKind, stores: Stores): Record<string, string> {
    switch (kind) {
        case "s3":
            return { MLFLOW_S3_ENDPOINT_URL: stores.moto.endpoint, AWS_ACCESS_KEY_ID: AWS_KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: AWS_KEYS.secretAccessKey, AWS_DEFAULT_REGION: "us-east-1" };
        case "azure-blob":
            return { AZURE_STORAGE_CONNECTION_STRING: stores.azurite.connectionString };
        case "gcs":
            return { STORAGE_EMULATOR_HOST: stores.gcs.host };
        default:
            return {};
    }
}

export function backendStore(spec: DeploymentSpec, stores: Stores): BackendStoreContract {
    if (spec.backend.type === "sqlite") {
        return sqliteBackendContract(spec.backend);
    }
    if (spec.backend.type !== "postgres") {
        throw new Error("unexpected backend");
    }
    // What the PostgreSQL container does on first start: a login role owning the database
    // (CREATEDB so the entrypoint can add the auth database beside it).
    const { user, database } = spec.backend;
    psql(stores.pg, `CREATE ROLE ${user} LOGIN CREATEDB PASSWORD '${DB_PASSWORD.replace(/'/g, "''")}'`);
    psql(stores.pg, `CREATE DATABASE ${database} OWNER ${user}`);
    return postgresBackendContract({ host: stores.pg.host, port: stores.pg.port, user, password: DB_PASSWORD, database, authDatabase: spec.backend.authDatabase });
}

export function artifactStore(spec: DeploymentSpec, stores: Stores): ArtifactStoreContract {
    const a = spec.artifacts;
    switch (a.type) {
        case "local":
            return localArtifactsContract(a.path, a.prefix);
        case "s3":
            return s3ArtifactsContract({ bucket: a.bucket!, prefix: a.prefix, endpointUrl: a.endpointUrl, region: a.region, credentials: AWS_KEYS });
        case "azure-blob":
            return azureBlobArtifactsContract({ account: a.storageAccount!, container: a.container, prefix: a.prefix, connectionString: stores.azurite.connectionString });
        case "gcs":
            return gcsArtifactsContract({ bucket: a.bucket!, prefix: a.prefix });
    }
}

/** The JSON object a helper prints last (MLflow itself prints progress lines before it). */
export function lastJson(stdout: string): unknown {
    const lines = stdout.trim().split("\n");
    return JSON.parse(lines[lines.length - 1]);
}
