// The scheduled jobs against a real MLflow, a real PostgreSQL and the store stand-ins: `mlflow gc`
// as the gc contract runs it (on every artifact store), and the Docker platform's backup and
// restore, drilled: runs and a 5 MB artifact logged, backed up while the server runs, the data
// destroyed, restored, and read back byte for byte.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { DeploymentSpec } from "../../components/config/spec";
import { buildServerContract } from "../../components/contract";
import { backupJobContract, gcJobContract, JobContract } from "../../components/opsContract";
import { dockerPlatformFacts } from "../../components/platform/docker/platform";
import { EntrypointRun, python, runContract, runEntrypointToExit, RunningServer } from "./server";
import { freePort, psql, workDir } from "./services";
import { ArtifactKind, artifactStore, BackendKind, backendStore, DB_PASSWORD, lastJson, stackConfig, startStores, stopStores, storeEnv, Stores } from "./storeFixtures";

const ADMIN_PASSWORD = "Adm1n: p@ss/?#%&";

interface Deployed {
    spec: DeploymentSpec;
    server: RunningServer;
    dataDir: string;
    endpointEnv?: Record<string, string>;
    clientEnv: Record<string, string>;
    ops: (spec: DeploymentSpec) => { gc?: JobContract; backup?: JobContract };
    restart(): Promise<void>;
}

async function deploy(stores: Stores, id: string, backend: BackendKind, artifacts: ArtifactKind, auth: boolean, extra: Record<string, unknown>): Promise<Deployed> {
    const port = await freePort();
    const { spec } = await stackConfig(stores, id, backend, artifacts, { port, auth, extra });
    const stores_ = { backend: backendStore(spec, stores), artifacts: artifactStore(spec, stores) };
    const contract = buildServerContract({
        spec,
        ...stores_,
        platform: { ...dockerPlatformFacts(spec), listenPort: port },
        auth: auth ? { adminPassword: ADMIN_PASSWORD, flaskSecretKey: crypto.randomBytes(32).toString("hex") } : undefined,
    });
    const dataDir = workDir(`${id}-data`);
    const endpointEnv = artifacts === "gcs" ? { STORAGE_EMULATOR_HOST: stores.gcs.host } : undefined;
    const clientEnv: Record<string, string> = { MLFLOW_TRACKING_URI: `http://localhost:${port}`, ...(auth ? { MLFLOW_TRACKING_USERNAME: "admin", MLFLOW_TRACKING_PASSWORD: ADMIN_PASSWORD } : {}) };
    const deployed: Deployed = {
        spec,
        server: await runContract(id, contract, { dataDir, endpointEnv }),
        dataDir,
        endpointEnv,
        clientEnv,
        ops: (s) => ({ gc: gcJobContract({ spec: s, ...stores_ }), backup: backupJobContract({ spec: s, ...stores_ }) }),
        restart: async () => {
            await deployed.server.stop();
            deployed.server = await runContract(`${id}-again`, contract, { dataDir, endpointEnv });
        },
    };
    return deployed;
}

async function runJob(d: Deployed, name: string, job: EntrypointRun): Promise<string> {
    const done = await runEntrypointToExit(name, job, { dataDir: d.dataDir, endpointEnv: d.endpointEnv }, [], 300000);
    assert.strictEqual(done.code, 0, `${name} exited ${done.code}:\n${done.log.slice(-4000)}`);
    assert.ok(!done.log.includes(DB_PASSWORD) && !done.log.includes(encodeURIComponent(DB_PASSWORD)), `${name} logged the database password`);
    return done.log;
}

describe("scheduled jobs against a real MLflow", function () {
    let stores: Stores;

    before(async function () {
        this.timeout(120000);
        stores = await startStores();
    });

    after(() => stopStores(stores));

    const GC_CASES: { backend: BackendKind; artifacts: ArtifactKind; auth: boolean }[] = [
        { backend: "sqlite", artifacts: "local", auth: false },
        { backend: "postgres", artifacts: "s3", auth: true },
        { backend: "sqlite", artifacts: "azure-blob", auth: false },
        { backend: "postgres", artifacts: "gcs", auth: true },
    ];
    GC_CASES.forEach(({ backend, artifacts, auth }, index) => {
        it(`gc on ${artifacts} (${backend}): a deleted run's metadata and artifacts are gone, only once older than --older-than`, async function () {
            this.timeout(600000);
            const d = await deploy(stores, `gc${index}-${backend}-${artifacts}`, backend, artifacts, auth, { gc: { olderThan: "1d" } });
            try {
                const state = path.join(workDir(`gc${index}-state`), "runs.json");
                const logged = await python("ops_check.py", ["log", state], d.clientEnv);
                assert.strictEqual(logged.code, 0, logged.stderr.slice(-3000));
                const runs = lastJson(logged.stdout) as { experiment_id: string; kept: string; deleted: string };
                assert.deepStrictEqual(await artifactRuns(d, artifacts, stores, runs), { kept: true, deleted: true });

                // Deleted a moment ago: younger than 1d, so kept.
                await runJob(d, `gc${index}-1d`, d.ops(d.spec).gc!);
                assert.deepStrictEqual(await status(d, state), { kept: "active", deleted: "deleted", kept_artifacts: ["files/kept.bin"] });
                assert.deepStrictEqual(await artifactRuns(d, artifacts, stores, runs), { kept: true, deleted: true });

                const now = { ...d.spec, ops: { ...d.spec.ops, gc: { ...d.spec.ops.gc!, olderThan: "0s" } } };
                const log = await runJob(d, `gc${index}-0s`, d.ops(now).gc!);
                assert.match(log, new RegExp(`Run with ID ${runs.deleted} has been permanently deleted`));
                assert.deepStrictEqual(await status(d, state), { kept: "active", deleted: "gone", kept_artifacts: ["files/kept.bin"] });
                assert.deepStrictEqual(await artifactRuns(d, artifacts, stores, runs), { kept: true, deleted: false });
            } finally {
                await d.server.stop();
            }
        });
    });

    const DRILLS: { backend: BackendKind; artifacts: ArtifactKind; auth: boolean; destination: "directory" | "s3" }[] = [
        { backend: "sqlite", artifacts: "local", auth: false, destination: "directory" },
        { backend: "postgres", artifacts: "local", auth: true, destination: "directory" },
        { backend: "sqlite", artifacts: "s3", auth: true, destination: "s3" },
    ];
    DRILLS.forEach(({ backend, artifacts, auth, destination }, index) => {
        it(`restore drill: ${backend} + ${artifacts}${auth ? " + basic auth" : ""}, backed up to ${destination === "s3" ? "an S3 bucket" : "a host directory"}, destroyed, restored byte-identical`, async function () {
            this.timeout(600000);
            const id = `drill${index}-${backend}-${artifacts}`;
            const hostDir = workDir(`${id}-backups`);
            const dest = destination === "s3" ? `s3://mlflow-it-${id.replace(/[^a-z0-9]/g, "")}/backups` : "/srv/backups/mlflow";
            const d = await deploy(stores, id, backend, artifacts, auth, { backup: { destination: dest, keep: 2 } });
            // The Docker platform bind-mounts a host directory where the contract names it.
            const job = d.ops(d.spec).backup!;
            const backupJob = destination === "directory" ? { ...job, env: { ...job.env, MLFLOW_DEPLOY_BACKUP_DESTINATION: hostDir } } : job;
            try {
                const state = path.join(workDir(`${id}-state`), "run.json");
                const logged = await python("client_check.py", ["log", state], d.clientEnv);
                assert.strictEqual(logged.code, 0, logged.stderr.slice(-3000));

                // Online: the server keeps running (and answering) while the backup is taken.
                const first = backupName(await runJob(d, `${id}-backup`, backupJob));
                await d.server.stop();
                destroyData(d, stores, backend, artifacts);

                const restoreLog = await runJob(d, `${id}-restore`, { ...backupJob, args: ["--restore", "latest"] });
                assert.match(restoreLog, new RegExp(`restored ${first}`));
                assert.ok(fs.readdirSync(path.join(d.dataDir, ".pre-restore")).length === 1, "what the restore replaced is kept on the data volume");
                await d.restart();
                const verified = await python("client_check.py", ["verify", state], d.clientEnv);
                assert.strictEqual(verified.code, 0, `after the restore: ${verified.stdout}\n${verified.stderr.slice(-3000)}\n--- server ---\n${d.server.service.log().slice(-3000)}`);
                assert.strictEqual((lastJson(verified.stdout) as { bytes: number }).bytes, 5 * 1024 * 1024);

                // Retention: three backups with keep 2 leave the newest two.
                const second = backupName(await runJob(d, `${id}-backup2`, backupJob));
                const third = backupName(await runJob(d, `${id}-backup3`, backupJob));
                const listed = await runEntrypointToExit(`${id}-list`, { ...backupJob, args: ["--list-backups"] }, { dataDir: d.dataDir }, [], 120000);
                assert.deepStrictEqual(listed.log.trim().split("\n").filter((l) => l.startsWith("mlflow-backup-")), [second, third]);
                assert.notStrictEqual(first, second);
            } finally {
                await d.server.stop();
            }
        });
    });

    it("a failed backup is visible: a non-zero exit, its log line, and the scheduler's health check", async function () {
        this.timeout(300000);
        const d = await deploy(stores, "failing-backup", "sqlite", "local", false, { backup: { destination: "/srv/backups/mlflow" } });
        await d.server.stop();
        const notADirectory = path.join(workDir("failing-backup-dest"), "file");
        fs.writeFileSync(notADirectory, "not a directory");
        const statusFile = path.join(workDir("failing-backup-status"), "status.json");
        const job = d.ops(d.spec).backup!;
        const env = { ...job.env, MLFLOW_DEPLOY_BACKUP_DESTINATION: notADirectory, MLFLOW_DEPLOY_OPS_STATUS: statusFile, MLFLOW_DEPLOY_SCHEDULE_BACKUP: "0 3 * * *" };
        const once = await runEntrypointToExit("failing-backup-once", { ...job, env }, { dataDir: d.dataDir }, [], 120000);
        assert.strictEqual(once.code, 1);
        assert.match(once.log, /backup FAILED/);

        // The scheduler takes the first backup at start; it fails, and the health check says so.
        const scheduler = runEntrypointToExit("failing-backup-scheduler", { ...job, env, args: ["--scheduler"] }, { dataDir: d.dataDir }, [], 30000).catch((e: Error) => e);
        const deadline = Date.now() + 25000;
        while (Date.now() < deadline && !(fs.existsSync(statusFile) && fs.readFileSync(statusFile, "utf8").includes("exitCode"))) {
            await new Promise((r) => setTimeout(r, 500));
        }
        const health = await runEntrypointToExit("failing-backup-health", { ...job, env, args: ["--ops-health"] }, { dataDir: d.dataDir }, [], 60000);
        assert.strictEqual(health.code, 1, health.log);
        assert.match(health.log, /unhealthy: last run failed: backup \(exit 1/);
        const stopped = await scheduler;
        assert.ok(stopped instanceof Error && /still running/.test(stopped.message), "the scheduler keeps running after a failed job");
        assert.match(stopped.message, /scheduler: backup FAILED with exit code 1/);
    });
});

function backupName(log: string): string {
    const m = /backup (mlflow-backup-\d{8}T\d{6}Z): \d+ files/.exec(log);
    assert.ok(m, `no backup name in:\n${log.slice(-2000)}`);
    return m[1];
}

/** What a lost volume or a dropped database leaves: nothing of the stack's data. */
function destroyData(d: Deployed, stores: Stores, backend: BackendKind, artifacts: ArtifactKind): void {
    if (backend === "sqlite") {
        fs.rmSync(path.join(d.dataDir, "mlflow.db"));
    } else if (d.spec.backend.type === "postgres") {
        psql(stores.pg, `DROP DATABASE ${d.spec.backend.database} WITH (FORCE)`);
        psql(stores.pg, `DROP DATABASE IF EXISTS ${d.spec.backend.authDatabase} WITH (FORCE)`);
    }
    if (artifacts === "local") {
        fs.rmSync(path.join(d.dataDir, "artifacts"), { recursive: true, force: true });
    }
    if (d.spec.auth.enabled && backend === "sqlite") {
        fs.rmSync(path.join(d.dataDir, "basic_auth.db"), { force: true });
    }
}

async function status(d: Deployed, state: string): Promise<unknown> {
    const r = await python("ops_check.py", ["status", state], d.clientEnv);
    assert.strictEqual(r.code, 0, r.stderr.slice(-3000));
    return lastJson(r.stdout);
}

/** Whether each run still has objects in the artifact store itself (not through MLflow). */
async function artifactRuns(d: Deployed, kind: ArtifactKind, stores: Stores, runs: { experiment_id: string; kept: string; deleted: string }): Promise<{ kept: boolean; deleted: boolean }> {
    const prefix = d.spec.artifacts.prefix;
    const has = async (runId: string): Promise<boolean> => {
        const key = `${prefix}/${runs.experiment_id}/${runId}/`;
        if (kind === "local") {
            // MLflow deletes the run's files and leaves its empty directory.
            const dir = path.join(d.dataDir, "artifacts", key);
            return fs.existsSync(dir) && fs.readdirSync(dir, { recursive: true, withFileTypes: true }).some((e) => e.isFile());
        }
        const a = d.spec.artifacts as { bucket?: string; container?: string };
        const listed = await python("store_check.py", [kind, String(a.bucket ?? a.container), key], storeEnv(kind, stores));
        assert.strictEqual(listed.code, 0, listed.stderr);
        return (lastJson(listed.stdout) as unknown[]).length > 0;
    };
    return { kept: await has(runs.kept), deleted: await has(runs.deleted) };
}
