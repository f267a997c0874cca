// Three stacks on one Docker host, as a team runs them: dev (from dev.spec.ts), a staging
// variant on PostgreSQL with auth, and a protected prod variant created at the previous MLflow
// and upgraded through Pulumi.
import * as assert from "assert";
import * as path from "path";
import { MLFLOW_VERSION } from "../../components/versions";
import { previousMlflowVersion } from "../../scripts/pins";
import { containerLogs, containerState, docker, named } from "./harness/docker";
import { Credentials, get, logRun, postJson, searchExperiments, verifyRun, waitHealthy } from "./harness/mlflow";
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
            // A protected stack without backups gets a warning (README: Operations).
            "mlflow:backup": { destination: path.join(s.ws.root, "backups", "prod") },
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

    it("mlflow:users and mlflow:grants through the engine: generated and given passwords work, an EDIT grant logs where READ cannot, a removed account is refused", async function () {
        const given = `e2e-Bob given:/?#%&${s.ws.id}`;
        s.secretsSet.push(given);
        const experiment = `e2e-shared-${s.ws.id}`;
        await staging.configSetPath("mlflow:users[0].name", "alice");
        await staging.configSetPath("mlflow:users[1].name", "bob");
        await staging.configSetPath("mlflow:grants[0].user", "bob");
        await staging.configSetPath("mlflow:grants[0].experiment", experiment);
        await staging.configSetPath("mlflow:grants[0].permission", "EDIT");
        await staging.configSetSecret("mlflow:userPasswords", JSON.stringify({ bob: given }));
        await staging.upClean();
        await waitHealthy(stagingUrl);
        const passwords = JSON.parse(await staging.secretOutput("userPasswords")) as Record<string, string>;
        assert.strictEqual(passwords.bob, given);
        assert.ok(passwords.alice.length >= 24, "alice's password is generated");
        const alice = { username: "alice", password: passwords.alice };
        const bob = { username: "bob", password: given };
        const found = await get(`${stagingUrl}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${experiment}`, bob);
        assert.strictEqual(found.status, 200, `the grant's experiment was created: ${found.body}`);
        const experimentId = String(JSON.parse(found.body).experiment.experiment_id);
        const run = (who: Credentials) => postJson(`${stagingUrl}/api/2.0/mlflow/runs/create`, { experiment_id: experimentId, start_time: Date.now() }, who);
        assert.strictEqual((await run(bob)).status, 200, "EDIT by grant");
        assert.strictEqual((await run(alice)).status, 403, "READ by default");

        await staging.configRm("mlflow:grants");
        await staging.configRm("mlflow:users[1]", { path: true });
        await staging.configRm("mlflow:userPasswords");
        await staging.upClean();
        await waitHealthy(stagingUrl);
        assert.strictEqual((await searchExperiments(stagingUrl, bob)).status, 401, "the removed account is refused");
        assert.strictEqual((await searchExperiments(stagingUrl, alice)).status, 200, "the remaining account keeps its password");
        await verifyRun(stagingUrl, stagingRun, stagingAdmin);
        await record(staging);
    });

    it("mlflow:jobRunner dedicated: a job-runner container beside the server runs a job submitted through the server, once", async function () {
        await staging.configSet("mlflow:jobRunner", "dedicated");
        await staging.upClean();
        await waitHealthy(stagingUrl);
        const jobs = `mlflow-${staging.name}-jobs`;
        assert.strictEqual(containerState(jobs).status, "running", "the job-runner container runs");
        assert.strictEqual(docker(["port", jobs]), "", "the job runner publishes no port");
        const server = `mlflow-${staging.name}-server`;
        // The image has no ps: read the command lines from /proc.
        const listProcs = "import os\nfor p in filter(str.isdigit, os.listdir('/proc')):\n    try: print(open(f'/proc/{p}/cmdline').read().replace(chr(0), ' '))\n    except OSError: pass";
        const serverProcs = docker(["exec", server, "python", "-c", listProcs]);
        assert.ok(!/_executor_runner|huey_consumer/.test(serverProcs), `the server runs no job runner:\n${serverProcs}`);

        const experiment = await postJson(`${stagingUrl}/api/2.0/mlflow/experiments/create`, { name: `e2e-jobs-${s.ws.id}` }, stagingAdmin);
        assert.strictEqual(experiment.status, 200, experiment.body);
        const submitted = await postJson(
            `${stagingUrl}/ajax-api/3.0/jobs/`,
            { job_name: "run_online_trace_scorer", params: { experiment_id: JSON.parse(experiment.body).experiment_id, online_scorers: [] } },
            stagingAdmin,
        );
        assert.strictEqual(submitted.status, 200, submitted.body);
        const jobId = String(JSON.parse(submitted.body).job_id);
        let status = "";
        for (const deadline = Date.now() + 120000; Date.now() < deadline && !["SUCCEEDED", "FAILED", "TIMEOUT", "CANCELED"].includes(status); ) {
            await new Promise((r) => setTimeout(r, 2000));
            status = String(JSON.parse((await get(`${stagingUrl}/ajax-api/3.0/jobs/${jobId}`, stagingAdmin)).body).status);
        }
        assert.strictEqual(status, "SUCCEEDED", `the job finished through the server: ${status}`);
        const ran = containerLogs(jobs).split(`Executor engine running job ${jobId} `).length - 1;
        assert.strictEqual(ran, 1, "the job ran once, on the job runner");
        assert.ok(!containerLogs(server).includes(`running job ${jobId}`), "not on the server");
        await verifyRun(stagingUrl, stagingRun, stagingAdmin);
        await record(staging);
    });

    it("staging to single sign-on and back through the engine: the SSO image serves, nothing answers without sign-in, the runs remain", async function () {
        const clientSecret = `e2e-sso-client-secret-${s.ws.id}`;
        s.secretsSet.push(clientSecret);
        await staging.configRm("mlflow:users"); // basic-auth accounts: refused with SSO
        await staging.configSet("mlflow:auth", "false");
        // No provider on the Docker network: signing in is the integration test's (tests/integration/sso.spec.ts).
        await staging.configSetPath("mlflow:sso.issuer", "http://127.0.0.1:9");
        await staging.configSetPath("mlflow:sso.clientId", "mlflow-e2e");
        await staging.configSetPath("mlflow:sso.allowedGroups[0]", "mlflow-users");
        await staging.configSetPath("mlflow:sso.adminGroups[0]", "mlflow-admins");
        await staging.configSetSecret("mlflow:ssoClientSecret", clientSecret);
        await staging.upClean();
        await waitHealthy(stagingUrl);
        assert.strictEqual(await staging.output("ssoRedirectUri"), `${stagingUrl}/callback`);
        assert.strictEqual((await searchExperiments(stagingUrl)).status, 401, "nothing without sign-in");
        assert.strictEqual((await searchExperiments(stagingUrl, stagingAdmin)).status, 401, "basic auth's admin password is no SSO credential");
        const server = `mlflow-${staging.name}-server`;
        assert.match(containerLogs(server), /single sign-on database: schema current/);
        assert.match(docker(["exec", server, "pip", "show", "mlflow-oidc-auth"]), /^Version: 10\.2\.0$/m, "the SSO image has the pinned app");
        await record(staging);

        await staging.configRm("mlflow:sso");
        await staging.configRm("mlflow:ssoClientSecret");
        await staging.configSet("mlflow:auth", "true");
        await staging.upClean();
        await waitHealthy(stagingUrl);
        assert.strictEqual((await searchExperiments(stagingUrl, stagingAdmin)).status, 200, "basic auth is back with its accounts");
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
