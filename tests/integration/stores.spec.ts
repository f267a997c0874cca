// Every backend x artifact store combination, proven against a real `mlflow server` running the
// program's own server contract, a real PostgreSQL and local stand-ins for S3, Azure Blob and GCS.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { DeploymentSpec } from "../../components/config/spec";
import { buildServerContract, ServerContract } from "../../components/contract";
import { dockerPlatformFacts } from "../../components/platform/docker/platform";
import { basicAuth, python, request, runContract } from "./server";
import { freePort, resetWorkRoot, workDir } from "./services";
import { ArtifactKind, artifactStore, BackendKind, backendStore, DB_PASSWORD, lastJson, stackConfig, startStores, stopStores, storeEnv, Stores } from "./storeFixtures";

const ADMIN_PASSWORD = "Adm1n: p@ss/?#%&";
const ARTIFACT_BYTES = 5 * 1024 * 1024;

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
        stores = await startStores();
    });

    after(() => stopStores(stores));

    COMBINATIONS.forEach((combo, index) => {
        const id = `c${index}-${combo.backend}-${combo.artifacts}`;
        it(`${combo.backend} + ${combo.artifacts}${combo.auth ? " + basic auth" : ""}: logs, reads back, survives a restart`, async function () {
            this.timeout(600000);
            await checkCombination(stores, id, combo.backend, combo.artifacts, combo.auth);
        });
    });
});

async function checkCombination(stores: Stores, id: string, backendKind: BackendKind, artifactKind: ArtifactKind, auth: boolean): Promise<void> {
    const port = await freePort();
    const { spec } = await stackConfig(stores, id, backendKind, artifactKind, { port, auth });
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
