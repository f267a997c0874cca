// Day-2 operations through the real engine, on the staging variant (PostgreSQL in a container,
// basic auth, local artifacts): the scheduler container, a backup to a host directory with the
// image's own pg_dump, the data destroyed, `npm run restore` as the README documents it, and
// every byte back.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { containerLogs, containerState, docker } from "./harness/docker";
import { Credentials, logRun, verifyRun, waitHealthy } from "./harness/mlflow";
import { STAGING_PORT } from "./stacks.spec";
import { record, stackFor, suite } from "./suite";

describe("operations: scheduled backups and a restore drill through the engine", function () {
    const s = suite();
    const staging = stackFor("staging");
    const stagingUrl = `http://localhost:${STAGING_PORT}`;
    const backups = path.join(s.ws.root, "backups", "staging");
    const drillRun = path.join(s.ws.root, "drill-run.json");
    const ops = () => `mlflow-${staging.name}-ops`;
    let admin: Credentials;

    async function npm(script: string, args: string[]): Promise<string> {
        const result = await s.ws.run("npm", ["run", "--silent", script, "--", "--stack", staging.name, ...args], { env: staging.backendEnv() });
        return result.output;
    }

    it("mlflow:backup to a host directory: the scheduler container takes the first backup at start and reports healthy", async function () {
        fs.mkdirSync(backups, { recursive: true });
        await staging.configSetPath("mlflow:backup.destination", backups);
        await staging.configSetPath("mlflow:backup.keep", "2");
        await staging.upClean();
        await waitHealthy(stagingUrl);
        admin = { username: await staging.output("adminUsername"), password: await staging.secretOutput("adminPassword") };
        assert.strictEqual(containerState(ops()).health, "healthy");
        const logs = containerLogs(ops());
        assert.match(logs, /scheduler: backup at '0 3 \* \* \*' UTC, next .*; gc at '0 4 \* \* \*' UTC/);
        assert.match(logs, /backup mlflow-backup-\d{8}T\d{6}Z: 3 files/, "the first backup, at start: both databases and the artifacts");
        const taken = fs.readdirSync(backups).filter((n) => n.startsWith("mlflow-backup-"));
        assert.strictEqual(taken.length, 1, `one backup in ${backups}: ${taken}`);
        assert.deepStrictEqual(fs.readdirSync(path.join(backups, taken[0])).sort(), ["artifacts.tar.gz", "auth.pgdump", "manifest.json", "tracking.pgdump"]);
        await record(staging);
    });

    it("npm run backup, the data destroyed (databases dropped, artifacts deleted), npm run restore -- --from latest: every run and byte is back", async function () {
        await logRun(stagingUrl, drillRun, admin);
        const backupOut = await npm("backup", []);
        const name = /backup (mlflow-backup-\d{8}T\d{6}Z): 3 files/.exec(backupOut);
        assert.ok(name, `npm run backup names its backup:\n${backupOut}`);
        const listed = (await npm("restore", ["--list"])).split("\n").filter((l) => l.startsWith("mlflow-backup-"));
        assert.strictEqual(listed.length, 2, `keep 2: ${listed}`);
        assert.strictEqual(listed[1], name[1]);

        // The loss: the server stopped, both databases dropped, the artifacts deleted.
        const server = `mlflow-${staging.name}-server`;
        docker(["stop", server]);
        for (const db of ["mlflow", "mlflow_auth"]) {
            docker(["exec", `mlflow-${staging.name}-postgres`, "psql", "-U", "mlflow", "-d", "postgres", "-c", `DROP DATABASE ${db} WITH (FORCE)`]);
        }
        docker(["exec", ops(), "rm", "-rf", "/mlflow/artifacts"]);

        const restoreOut = await npm("restore", ["--from", "latest"]);
        assert.match(restoreOut, new RegExp(`restored ${listed[1]}`), restoreOut);
        assert.match(restoreOut, new RegExp(`${server} is healthy`));
        await waitHealthy(stagingUrl);
        await verifyRun(stagingUrl, drillRun, admin);
        // A second up after the restore changes nothing.
        await staging.assertCleanRerun();
    });

    it("npm run restore refuses a bad backup name and a stack without backups, with the usage", async function () {
        const bad = await s.ws.run("npm", ["run", "--silent", "restore", "--", "--stack", staging.name, "--from", "yesterday"], { env: staging.backendEnv(), allowFailure: true });
        assert.strictEqual(bad.code, 2);
        assert.match(bad.output, /--from yesterday: a backup's name/);
        const dev = stackFor("dev");
        const none = await s.ws.run("npm", ["run", "--silent", "restore", "--", "--stack", dev.name, "--list"], { env: dev.backendEnv(), allowFailure: true });
        assert.notStrictEqual(none.code, 0);
        assert.match(none.output, /no backup destination: set mlflow:backup/);
    });
});
