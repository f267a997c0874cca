// Every backend x artifact store combination, proven against a real `mlflow server` running the
// program's own server contract, a real PostgreSQL and local stand-ins for S3, Azure Blob and GCS.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parseConfig } from "../../components/config/parse";
import { DeploymentSpec } from "../../components/config/spec";
import { buildServerContract, ServerContract } from "../../components/contract";
import { dockerPlatformFacts } from "../../components/platform/docker/platform";
import {
    azureBlobArtifactsContract,
    gcsArtifactsContract,
    localArtifactsContract,
    postgresBackendContract,
    s3ArtifactsContract,
    sqliteBackendContract,
} from "../../components/stores/contracts";
import { ArtifactStoreContract, BackendStoreContract } from "../../components/stores/types";
import { basicAuth, python, request, runContract } from "./server";
import { AZURITE_ACCOUNT, freePort, Postgres, psql, resetWorkRoot, startAzurite, startGcsEmulator, startMoto, startPostgres, Service, workDir } from "./services";

const DB_PASSWORD = "p@ss:w/rd?#%& x"; // every character that breaks a naive URI
const ADMIN_PASSWORD = "Adm1n: p@ss/?#%&";
const AWS_KEYS = { accessKeyId: "AKIAINTEGRATIONTEST", secretAccessKey: "integration/secret+key" };
const ARTIFACT_BYTES = 5 * 1024 * 1024;

type BackendKind = "sqlite" | "postgres";
type ArtifactKind = "local" | "s3" | "azure-blob" | "gcs";

interface Stores {
    pg: Postgres;
    moto: { service: Service; endpoint: string };
    azurite: { service: Service; connectionString: string };
    gcs: { service: Service; host: string };
}

const COMBINATIONS: { backend: BackendKind; artifacts: ArtifactKind; auth: boolean }[] = [
    { backend: "sqlite", artifacts: "local", auth: false }, // the dev stack's contract
    { backend: "sqlite", artifacts: "s3", auth: true },
    { backend: "sqlite", artifacts: "azure-blob", auth: false },
    { backend: "sqlite", artifacts: "gcs", auth: false },
    { backend: "postgres", artifacts: "local", auth: true },
    { backend: "postgres", artifacts: "s3", auth: true },
    { backend: "postgres", artifacts: "azure-blob", auth: true },
    { backend: "postgres", artifacts: "gcs", auth: false },
];

describe("every store combination against a real MLflow", function () {
    let stores: Stores;

    before(async function () {
        this.timeout(120000);
        resetWorkRoot();
        const [pg, moto, azurite, gcs] = await Promise.all([startPostgres(), startMoto(), startAzurite(), startGcsEmulator()]);
        stores = { pg, moto, azurite, gcs };
    });

    after(async () => {
        if (stores) {
            await Promise.all([stores.pg.service.stop(), stores.moto.service.stop(), stores.azurite.service.stop(), stores.gcs.service.stop()]);
        }
    });

    COMBINATIONS.forEach((combo, index) => {
        const id = `c${index}-${combo.backend}-${combo.artifacts}`;
        it(`${combo.backend} + ${combo.artifacts}${combo.auth ? " + basic auth" : ""}: logs, reads back, survives a restart`, async function () {
            this.timeout(600000);
            await checkCombination(stores, id, combo.backend, combo.artifacts, combo.auth);
        });
    });
});

/** Environment that lets the store's own SDK reach the stand-in (store-side checks only). */
function storeEnv(kind: ArtifactKind, stores: Stores): Record<string, string> {
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

async function checkCombination(stores: Stores, id: string, backendKind: BackendKind, artifactKind: ArtifactKind, auth: boolean): Promise<void> {
    const port = await freePort();
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
    const { spec } = parseConfig({ project: "mlflow", stack: "dev", raw: { port, auth: auth, backend: rawBackend, artifacts: rawArtifacts }, secretsSet });

    // The "existing" stores the program points at.
    if (artifactKind !== "local") {
        const created = await python("store_check.py", ["create", artifactKind, String(rawArtifacts.bucket ?? rawArtifacts.container)], storeEnv(artifactKind, stores));
        assert.strictEqual(created.code, 0, created.stderr);
    }
    const backend = backendStore(spec, stores);
    const artifacts = artifactStore(spec, stores);
    const contract = buildServerContract({
        spec,
        backend,
        artifacts,
        platform: { ...dockerPlatformFacts(spec), listenPort: port },
        auth: auth ? { adminPassword: ADMIN_PASSWORD, flaskSecretKey: crypto.randomBytes(32).toString("hex") } : undefined,
    });
    assertContractShape(contract, auth);

    const dataDir = workDir(`${id}-data`);
    const endpointEnv = artifactKind === "gcs" ? { STORAGE_EMULATOR_HOST: stores.gcs.host } : undefined;
    const clientEnv: Record<string, string> = { MLFLOW_TRACKING_URI: `http://localhost:${port}` };
    if (auth) {
        clientEnv.MLFLOW_TRACKING_USERNAME = "admin";
        clientEnv.MLFLOW_TRACKING_PASSWORD = ADMIN_PASSWORD;
    }
    const stateFile = path.join(workDir(`${id}-state`), "run.json");

    let server = await runContract(id, contract, { dataDir, endpointEnv });
    try {
        await checkHostAndAuth(port, auth);

        const logged = await python("client_check.py", ["log", stateFile], clientEnv);
        assert.strictEqual(logged.code, 0, `logging failed:\n${logged.stderr.slice(-3000)}\n--- server ---\n${server.service.log().slice(-3000)}`);
        const verified = await python("client_check.py", ["verify", stateFile], clientEnv);
        assert.strictEqual(verified.code, 0, `read-back failed: ${verified.stdout}\n${verified.stderr.slice(-3000)}`);

        await checkBytesLanded(spec, artifactKind, stores, dataDir, lastJson(logged.stdout) as { run_id: string; experiment_id: string });

        // A restart on the same stores loses nothing.
        await server.stop();
        server = await runContract(`${id}-restarted`, contract, { dataDir, endpointEnv });
        const again = await python("client_check.py", ["verify", stateFile], clientEnv);
        assert.strictEqual(again.code, 0, `after restart: ${again.stdout}\n${again.stderr.slice(-3000)}`);
    } finally {
        await server.stop();
    }
}

function backendStore(spec: DeploymentSpec, stores: Stores): BackendStoreContract {
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

function artifactStore(spec: DeploymentSpec, stores: Stores): ArtifactStoreContract {
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

function assertContractShape(contract: ServerContract, auth: boolean): void {
    const args = contract.args as string[];
    assert.ok(!args.includes("--backend-store-uri"), "the backend URI is never an argument");
    assert.ok(!args.includes("--default-artifact-root"));
    assert.ok(!args.some((a) => a.includes(DB_PASSWORD) || a.includes(encodeURIComponent(DB_PASSWORD)) || a.includes(ADMIN_PASSWORD)));
    assert.ok("MLFLOW_BACKEND_STORE_URI" in contract.secretEnv);
    assert.strictEqual(args.includes("basic-auth"), auth);
}

async function checkHostAndAuth(port: number, auth: boolean): Promise<void> {
    const api = "/api/2.0/mlflow/experiments/search?max_results=1";
    const foreign = await request(port, api, { Host: "evil.example.com" });
    assert.strictEqual(foreign.status, 403, `a foreign Host header must be refused, got ${foreign.status}`);
    const foreignWithPort = await request(port, api, { Host: `attacker.example:${port}` });
    assert.strictEqual(foreignWithPort.status, 403);
    const served = await request(port, api, { Host: `localhost:${port}` });
    if (auth) {
        assert.strictEqual(served.status, 401, `no credentials must give 401, got ${served.status}`);
        const wrong = await request(port, api, { Host: `localhost:${port}`, Authorization: basicAuth("admin", "wrong") });
        assert.strictEqual(wrong.status, 401);
        const admin = await request(port, api, { Host: `localhost:${port}`, Authorization: basicAuth("admin", ADMIN_PASSWORD) });
        assert.strictEqual(admin.status, 200, `admin credentials must work, got ${admin.status}: ${admin.body}`);
    } else {
        assert.strictEqual(served.status, 200, `the configured host must be served, got ${served.status}: ${served.body}`);
    }
    const health = await request(port, "/health", { Host: "evil.example.com" });
    assert.strictEqual(health.status, 200, "/health is exempt from the Host check");
}

async function checkBytesLanded(spec: DeploymentSpec, kind: ArtifactKind, stores: Stores, dataDir: string, run: { run_id: string; experiment_id: string }): Promise<void> {
    const key = `${spec.artifacts.prefix}/${run.experiment_id}/${run.run_id}/artifacts/weights/model-weights.bin`;
    if (kind === "local") {
        const file = path.join(dataDir, "artifacts", key);
        assert.strictEqual(fs.statSync(file).size, ARTIFACT_BYTES, `${file} on the data volume`);
        return;
    }
    const a = spec.artifacts as { bucket?: string; container?: string };
    const listed = await python("store_check.py", [kind, String(a.bucket ?? a.container), `${spec.artifacts.prefix}/`], storeEnv(kind, stores));
    assert.strictEqual(listed.code, 0, listed.stderr);
    const objects = lastJson(listed.stdout) as { key: string; size: number }[];
    const found = objects.find((o) => o.key === key);
    assert.ok(found, `${key} not in the store; found ${JSON.stringify(objects.map((o) => o.key))}`);
    assert.strictEqual(found.size, ARTIFACT_BYTES);
}

/** The JSON object a helper prints last (MLflow itself prints progress lines before it). */
function lastJson(stdout: string): unknown {
    const lines = stdout.trim().split("\n");
    return JSON.parse(lines[lines.length - 1]);
}
