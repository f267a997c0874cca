// Three stacks on one Docker host, as a team runs them: dev (from dev.spec.ts), a staging
// variant on PostgreSQL with auth, and a protected prod variant created at the previous MLflow
// and upgraded through Pulumi.
import * as assert from "assert";
import * as path from "path";
import { MLFLOW_VERSION } from "../../components/versions";
import { previousMlflowVersion } from "../../scripts/pins";
import { containerLogs, containerState, docker, named } from "./harness/docker";
import { Credentials, get, logRun, searchExperiments, verifyRun, waitHealthy } from "./harness/mlflow";
import { record, stackFor, suite } from "./suite";

export const STAGING_PORT = 5001;
export const PROD_PORT = 5002;

describe("staging and prod variants beside dev on one Docker host", function () {
    const s = suite();
    const dev = stackFor("dev");
    const staging = stackFor("staging");
    const prod = stackFor("prod");
    const stagingUrl = `http://localhost:${STAGING_PORT}`;
    const prodUrl = `http://localhost:${PROD_PORT}`;
    const stagingRun = path.join(s.ws.root, "staging-run.json");
    const prodRun = path.join(s.ws.root, "prod-run.json");
    let stagingAdmin: Credentials;
    let prodAdmin: Credentials;

    it("staging variant: PostgreSQL in a container, auth on, port 5001", async function () {
        await staging.init({
            "mlflow:platform": "docker",
            "mlflow:port": STAGING_PORT,
            "mlflow:auth": true,
            "mlflow:backend": { type: "postgres" },
            "mlflow:artifacts": { type: "local" },
        });
        await staging.upClean();
        assert.strictEqual(await staging.output("url"), stagingUrl);
        await waitHealthy(stagingUrl);
        await record(staging);
    });

    it(`prod variant: data protection, auth on, port 5002, at the previous MLflow (${previousMlflowVersion()})`, async function () {
        await prod.init({
            "mlflow:platform": "docker",
            "mlflow:port": PROD_PORT,
            "mlflow:auth": true,
            "mlflow:protectData": true,
            "mlflow:mlflowVersion": previousMlflowVersion(),
            "mlflow:backend": { type: "sqlite" },
            "mlflow:artifacts": { type: "local" },
        });
        await prod.upClean();
        await waitHealthy(prodUrl);
        await record(prod);
    });

    it("all three are up together, each on its own port with its own containers, volumes and networks", async function () {
        const devUrl = await dev.output("url");
        for (const url of [devUrl, stagingUrl, prodUrl]) {
            assert.strictEqual((await get(`${url}/health`)).status, 200, `${url} is healthy`);
        }
        stagingAdmin = { username: await staging.output("adminUsername"), password: await staging.secretOutput("adminPassword") };
        prodAdmin = { username: await prod.output("adminUsername"), password: await prod.secretOutput("adminPassword") };
        assert.notStrictEqual(stagingAdmin.password, prodAdmin.password);
        // Each port answers as its own stack: dev without auth, staging and prod with their own admin.
        assert.strictEqual((await searchExperiments(devUrl)).status, 200);
        assert.strictEqual((await searchExperiments(stagingUrl, stagingAdmin)).status, 200);
        assert.strictEqual((await searchExperiments(stagingUrl, prodAdmin)).status, 401);
        assert.strictEqual((await searchExperiments(prodUrl, prodAdmin)).status, 200);
        assert.strictEqual((await searchExperiments(prodUrl, stagingAdmin)).status, 401);

        const objects = [dev, staging, prod].map((st) => named(`mlflow-${st.name}-`));
        for (const [i, o] of objects.entries()) {
            assert.ok(o.containers.length >= 1 && o.volumes.length >= 1 && o.networks.length === 1, `stack ${i} has its own objects: ${JSON.stringify(o)}`);
        }
        const all = objects.flatMap((o) => [...o.containers, ...o.volumes, ...o.networks]);
        assert.strictEqual(new Set(all).size, all.length, "no name is shared");
        for (const [st, port] of [[staging, STAGING_PORT], [prod, PROD_PORT]] as const) {
            const published = docker(["port", `mlflow-${st.name}-server`]);
            assert.deepStrictEqual(published.split("\n").filter(Boolean), [`5000/tcp -> 127.0.0.1:${port}`], `${st.name} publishes only its port, on loopback`);
        }
        assert.deepStrictEqual(docker(["port", `mlflow-${staging.name}-postgres`]), "", "PostgreSQL publishes no port");
    });

    it("PostgreSQL + auth: no credentials get 401, the generated admin password works with the real client", async function () {
        assert.strictEqual((await searchExperiments(stagingUrl)).status, 401);
        assert.strictEqual((await searchExperiments(stagingUrl, { username: stagingAdmin.username, password: "wrong-password" })).status, 401);
        await logRun(stagingUrl, stagingRun, stagingAdmin);
        await verifyRun(stagingUrl, stagingRun, stagingAdmin);
    });

    it("a new mlflow:adminPassword (config set --secret, up): the new one works, the old one is refused, the runs remain", async function () {
        const rotated = `e2e-Rotated pass:/?#%&${s.ws.id}`;
        s.secretsSet.push(rotated);
        await staging.configSetSecret("mlflow:adminPassword", rotated);
        await staging.upClean();
        await waitHealthy(stagingUrl);
        assert.strictEqual(await staging.secretOutput("adminPassword"), rotated);
        assert.strictEqual((await searchExperiments(stagingUrl, stagingAdmin)).status, 401, "the old password is refused");
        stagingAdmin = { ...stagingAdmin, password: rotated };
        assert.strictEqual((await searchExperiments(stagingUrl, stagingAdmin)).status, 200);
        await verifyRun(stagingUrl, stagingRun, stagingAdmin);
        await record(staging);
    });

    it(`an MLflow upgrade through Pulumi: ${previousMlflowVersion()} -> ${MLFLOW_VERSION} rebuilds the image, upgrades the schema once, keeps the runs`, async function () {
        await logRun(prodUrl, prodRun, prodAdmin);
        const server = `mlflow-${prod.name}-server`;
        const before = containerState(server);
        await prod.configSet("mlflow:mlflowVersion", MLFLOW_VERSION);
        await prod.upClean();
        await waitHealthy(prodUrl);
        assert.notStrictEqual(containerState(server).id, before.id, "the server container was replaced");
        const version = docker(["exec", server, "python", "-c", "import mlflow; print(mlflow.__version__)"]);
        assert.strictEqual(version, MLFLOW_VERSION, "the new container runs the pinned MLflow");
        const logs = containerLogs(server);
        const upgrades = logs.split("\n").filter((l) => /schema at \S+, upgrading to/.test(l));
        assert.strictEqual(upgrades.length, 1, `the tracking schema was upgraded exactly once:\n${logs}`);
        await verifyRun(prodUrl, prodRun, prodAdmin);
        await record(prod);
    });
});
