// Users and permissions as code (mlflow:users, mlflow:grants, mlflow:defaultPermission) against a
// real MLflow with basic auth and a real PostgreSQL: three accounts with different rights, then a
// restart of two replicas together with changed config, which reconciles exactly once.
import * as assert from "assert";
import * as http from "http";
import { parseConfig } from "../../components/config/parse";
import { DeploymentSpec } from "../../components/config/spec";
import { buildServerContract, ServerContract } from "../../components/contract";
import { dockerPlatformFacts } from "../../components/platform/docker/platform";
import { localArtifactsContract, postgresBackendContract } from "../../components/stores/contracts";
import { basicAuth, RunningServer, runContract } from "./server";
import { freePort, Postgres, psql, resetWorkRoot, startPostgres, workDir } from "./services";

const DB_PASSWORD = "access-db-p@ss";
const ADMIN = { name: "admin", password: "Adm1n-p@ssword-long" };
const ALICE = { name: "alice", password: "alice-first-password" };
const ALICE_ROTATED = { name: "alice", password: "alice-second-password" };
const BOB = { name: "bob", password: "bob-password-1234" };
const CAROL = { name: "carol", password: "carol-password-1234" };
const SESSION_KEY = "k".repeat(64);

interface Account {
    name: string;
    password: string;
}

/** One REST call as `who`; resolves with the status and the parsed body. */
function api(port: number, who: Account, method: "GET" | "POST", path: string, body?: object): Promise<{ status: number; json: Record<string, any> }> {
    const data = body ? JSON.stringify(body) : undefined;
    return new Promise((resolve, reject) => {
        const headers: Record<string, string> = { Authorization: basicAuth(who.name, who.password) };
        if (data) {
            headers["Content-Type"] = "application/json";
        }
        const req = http.request({ host: "127.0.0.1", port, path, method, headers, timeout: 30000 }, (res) => {
            let text = "";
            res.on("data", (chunk) => (text += chunk));
            res.on("end", () => {
                let json: Record<string, any> = {};
                try {
                    json = JSON.parse(text);
                } catch {
                    /* not JSON: an auth refusal page */
                }
                resolve({ status: res.statusCode ?? 0, json });
            });
        });
        req.on("error", reject);
        req.end(data);
    });
}

const createRun = (port: number, who: Account, experimentId: string) => api(port, who, "POST", "/api/2.0/mlflow/runs/create", { experiment_id: experimentId, start_time: Date.now() });
const experimentByName = (port: number, who: Account, name: string) => api(port, who, "GET", `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`);
const whoAmI = (port: number, who: Account) => api(port, who, "GET", `/api/2.0/mlflow/users/get?username=${encodeURIComponent(who.name)}`);

describe("users and permissions as code against a real MLflow with basic auth", function () {
    let pg: Postgres;
    let port: number;
    const dataDir = () => workDir("access-data");

    before(async function () {
        this.timeout(120000);
        resetWorkRoot();
        pg = await startPostgres();
        psql(pg, `CREATE ROLE mlflow_access LOGIN CREATEDB PASSWORD '${DB_PASSWORD}'`);
        psql(pg, "CREATE DATABASE mlflow_access OWNER mlflow_access");
        port = await freePort();
    });

    after(async () => {
        await pg?.service.stop();
    });

    function contractFor(raw: Record<string, unknown>, accounts: (Account & { admin?: boolean })[], listenPort: number): ServerContract {
        const backendRaw = { type: "postgres", mode: "container", database: "mlflow_access", authDatabase: "mlflow_access_auth", user: "mlflow_access" };
        const { spec } = parseConfig({ project: "mlflow", stack: "staging", raw: { port: listenPort, backend: backendRaw, artifacts: "local", ...raw }, secretsSet: new Set() });
        const backend = postgresBackendContract({ host: pg.host, port: pg.port, user: "mlflow_access", password: DB_PASSWORD, database: "mlflow_access", authDatabase: "mlflow_access_auth" });
        // What the Deployment hands the contract: each account with its password (components/accessSecrets.ts).
        const users = JSON.stringify(spec.auth.users.map((u) => ({ name: u.name, admin: u.admin, password: accounts.find((a) => a.name === u.name)!.password })));
        return buildServerContract({
            spec: spec as DeploymentSpec,
            backend,
            artifacts: localArtifactsContract("/mlflow/artifacts", "staging"),
            platform: { ...dockerPlatformFacts(spec), listenPort },
            auth: { adminPassword: ADMIN.password, flaskSecretKey: SESSION_KEY, users },
        });
    }

    it("three accounts: READ cannot log to another's experiment, an EDIT grant can, the admin can; a restart reconciles once", async function () {
        this.timeout(600000);
        const first = contractFor(
            {
                users: [{ name: "alice" }, { name: "bob" }, { name: "carol", admin: true }],
                grants: [{ user: "bob", experiment: "shared", permission: "EDIT" }],
                defaultPermission: "READ",
            },
            [ALICE, BOB, { ...CAROL, admin: true }],
            port,
        );
        let server: RunningServer | undefined = await runContract("access-1", first, { dataDir: dataDir() });
        let shared: string;
        let alices: string;
        try {
            assert.match(server.service.log(), /access: account 'alice': created/);
            assert.match(server.service.log(), /access: account 'carol': created \(admin\)/);
            assert.match(server.service.log(), /experiment 'shared' created for its grants/);

            const created = await api(port, ALICE, "POST", "/api/2.0/mlflow/experiments/create", { name: "alice-experiment" });
            assert.strictEqual(created.status, 200, JSON.stringify(created.json));
            alices = created.json.experiment_id;
            assert.strictEqual((await createRun(port, ALICE, alices)).status, 200);

            // READ (the default): bob sees alice's experiment but cannot log to it.
            assert.strictEqual((await experimentByName(port, BOB, "alice-experiment")).status, 200);
            assert.strictEqual((await createRun(port, BOB, alices)).status, 403);
            // EDIT by grant: bob logs to "shared"; alice, with READ only there, cannot.
            shared = (await experimentByName(port, BOB, "shared")).json.experiment.experiment_id;
            assert.strictEqual((await createRun(port, BOB, shared)).status, 200);
            assert.strictEqual((await createRun(port, ALICE, shared)).status, 403);
            // The admin flag: carol logs anywhere; alice is no admin.
            assert.strictEqual((await createRun(port, CAROL, alices)).status, 200);
            assert.strictEqual((await whoAmI(port, CAROL)).json.user.is_admin, true);
            assert.strictEqual((await whoAmI(port, ALICE)).json.user.is_admin, false);
            // Nobody else gets in.
            assert.strictEqual((await experimentByName(port, { name: "mallory", password: "whatever-password" }, "shared")).status, 401);
            // An account made by hand (the admin, through the API) is not the deployment's to remove.
            const handMade = await api(port, ADMIN, "POST", "/api/2.0/mlflow/users/create", { username: "dan", password: "dan-made-by-hand-1" });
            assert.strictEqual(handMade.status, 200, JSON.stringify(handMade.json));
        } finally {
            await server.stop();
        }

        // Changed config: alice's password rotated, bob removed, carol no longer admin, alice EDIT on shared.
        const accounts = [ALICE_ROTATED, CAROL];
        const raw = { users: [{ name: "alice" }, { name: "carol" }], grants: [{ user: "alice", experiment: "shared", permission: "EDIT" }], defaultPermission: "READ" };
        const secondPort = await freePort();
        const replicas = await Promise.all([runContract("access-2a", contractFor(raw, accounts, port), { dataDir: dataDir() }), runContract("access-2b", contractFor(raw, accounts, secondPort), { dataDir: dataDir() })]);
        try {
            const logs = replicas.map((r) => r.service.log()).join("\n");
            // Two replicas started together: the change is made once, under the schema lock.
            assert.strictEqual((logs.match(/account 'alice': password changed/g) ?? []).length, 1, logs.slice(-3000));
            assert.strictEqual((logs.match(/account 'bob' deleted/g) ?? []).length, 1);
            assert.strictEqual((logs.match(/account 'carol': no longer admin/g) ?? []).length, 1);

            for (const p of [port, secondPort]) {
                assert.strictEqual((await whoAmI(p, ALICE)).status, 401, "the old password must fail");
                assert.strictEqual((await whoAmI(p, ALICE_ROTATED)).status, 200, "the rotated password must work");
                assert.strictEqual((await experimentByName(p, BOB, "shared")).status, 401, "a removed account is refused");
            }
            assert.strictEqual((await whoAmI(port, CAROL)).json.user.is_admin, false);
            assert.strictEqual((await createRun(secondPort, CAROL, alices)).status, 403, "carol is no admin any more");
            assert.strictEqual((await createRun(port, ALICE_ROTATED, shared)).status, 200, "alice's new EDIT grant");
            assert.strictEqual((await whoAmI(port, { name: "dan", password: "dan-made-by-hand-1" })).status, 200, "the hand-made account is kept");
            // Nothing secret reached the log.
            for (const secret of [ALICE.password, ALICE_ROTATED.password, BOB.password, CAROL.password, ADMIN.password, DB_PASSWORD]) {
                assert.ok(!logs.includes(secret), "a password reached the server log");
            }
        } finally {
            await Promise.all(replicas.map((r) => r.stop()));
            server = undefined;
        }
    });
});
