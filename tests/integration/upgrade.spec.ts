// Changing mlflow:mlflowVersion: a database written by the previous MLflow minor is upgraded by
// the image's entrypoint exactly once, under a PostgreSQL advisory lock, before the new server
// serves, even with two replicas starting together. Everything runs for real: the previous
// MLflow (tests/integration/requirements-previous.txt) writes the database with its own store,
// the pinned MLflow runs the program's contract through the entrypoint.
import * as assert from "assert";
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parseConfig } from "../../components/config/parse";
import { buildServerContract, ServerContract } from "../../components/contract";
import { dockerPlatformFacts } from "../../components/platform/docker/platform";
import { localArtifactsContract, postgresBackendContract, sqliteBackendContract } from "../../components/stores/contracts";
import { BackendStoreContract } from "../../components/stores/types";
import { basicAuth, python, request, RunningServer, runContract, runEntrypointToExit } from "./server";
import { freePort, Postgres, PREVIOUS_PYTHON, psql, PYTHON, ROOT, startPostgres, superuserUriFor, workDir } from "./services";

const DB_USER = "mlflow_upgrade";
const DB_PASSWORD = "p@ss:w/rd?#%& x";
const ADMIN_PASSWORD_A = "Adm1n: first p@ss/?#%&";
const ADMIN_PASSWORD_B = "Adm1n: second p@ss/?#%&";
const FLASK_SECRET = crypto.randomBytes(32).toString("hex");
/** The database the previous MLflow writes; each test works on its own copy (CREATE DATABASE ... TEMPLATE). */
const OLD_DB = "mlflow_previous";

interface Heads {
    version: string;
    head: string;
}

describe("upgrading MLflow: a database written by the previous minor version", function () {
    let pg: Postgres;
    let previous: Heads;
    let current: Heads;
    let lockKey: string;
    let stateFile: string;

    before(async function () {
        this.timeout(180000);
        assert.ok(fs.existsSync(PREVIOUS_PYTHON), `${PREVIOUS_PYTHON} is missing: run npm run setup (scripts/setup.sh creates it)`);
        pg = await startPostgres();
        const [prev, cur] = await Promise.all([python("upgrade_check.py", ["head"], {}, PREVIOUS_PYTHON), python("upgrade_check.py", ["head"], {})]);
        assert.strictEqual(prev.code, 0, prev.stderr);
        assert.strictEqual(cur.code, 0, cur.stderr);
        previous = lastJson(prev.stdout) as Heads;
        current = lastJson(cur.stdout) as Heads;
        const pinned = fs.readFileSync(path.join(ROOT, "components", "image", "requirements.txt"), "utf8").match(/^mlflow==(\S+)$/m)![1];
        assert.strictEqual(current.version, pinned, "the test venv runs the pinned MLflow");
        assert.notStrictEqual(previous.head, current.head, `MLflow ${previous.version} and ${current.version} share the schema head ${current.head}: pick an older previous version`);
        lockKey = execFileSync(PYTHON, ["-c", "import sys; sys.path.insert(0, sys.argv[1]); import entrypoint; print(entrypoint.SCHEMA_LOCK_KEY)", path.join(ROOT, "components", "image")], { encoding: "utf8" }).trim();

        // The previous version writes the database straight through its own store (URI in the environment only).
        psql(pg, `CREATE ROLE ${DB_USER} LOGIN CREATEDB PASSWORD '${DB_PASSWORD.replace(/'/g, "''")}'`);
        psql(pg, `CREATE DATABASE ${OLD_DB} OWNER ${DB_USER}`);
        stateFile = path.join(workDir("upgrade-state"), "old.json");
        const written = await python("upgrade_check.py", ["write", stateFile], { MLFLOW_TRACKING_URI: backendFor(pg, OLD_DB).uri as string }, PREVIOUS_PYTHON);
        assert.strictEqual(written.code, 0, written.stderr.slice(-3000));
        assert.strictEqual(revisionOf(pg, OLD_DB), previous.head, `MLflow ${previous.version} left its own head`);
    });

    after(async () => {
        if (pg) {
            await pg.service.stop();
        }
    });

    describe("two replicas of the new version starting together", function () {
        const db = "mlflow_parallel";
        let servers: RunningServer[] = [];
        let data: string;

        after(async () => {
            await Promise.all(servers.map((s) => s.stop()));
        });

        it("wait on the schema lock, upgrade exactly once, both serve, the old data reads back", async function () {
            this.timeout(300000);
            cloneOld(pg, db);
            data = workDir("upgrade-data");
            const contracts = await Promise.all([0, 1].map(async () => contractFor(pg, db, await freePort(), ADMIN_PASSWORD_A)));

            // Hold the entrypoint's lock, so both replicas are certainly inside their start at once.
            const holder = await holdAdvisoryLock(pg, db, lockKey);
            const settled = Promise.allSettled(contracts.map((c, i) => runContract(`upgrade-replica${i}`, c, { dataDir: data })));
            let whileLocked: unknown;
            try {
                await waitUntil(() => waitingOnLock(pg, db, lockKey) === 2, 120000, "both replicas waiting on the schema lock");
                // Nobody serves and nothing is upgraded while the lock is held.
                assert.strictEqual(revisionOf(pg, db), previous.head);
                for (const c of contracts) {
                    const health = await request(c.port, "/health", {}).catch(() => undefined);
                    assert.strictEqual(health, undefined, "no server may listen before the schema is upgraded");
                }
            } catch (e) {
                whileLocked = e;
            } finally {
                holder.release();
            }
            const results = await settled;
            servers = results.filter((r): r is PromiseFulfilledResult<RunningServer> => r.status === "fulfilled").map((r) => r.value);
            if (whileLocked) {
                throw whileLocked;
            }
            const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
            assert.strictEqual(failed.length, 0, `a replica failed to start:\n${failed.map((f) => String(f.reason)).join("\n")}`);

            assert.strictEqual(revisionOf(pg, db), current.head, "the schema is at the new head");
            const logs = servers.map((s) => entrypointLines(s.service.log()));
            const upgrading = `schema at ${previous.head}, upgrading to ${current.head}`;
            assert.deepStrictEqual(logs.map((l) => count(l, upgrading)).sort(), [0, 1], `exactly one replica upgrades:\n${logs.join("\n---\n")}`);
            assert.deepStrictEqual(logs.map((l) => count(l, `schema current (revision ${current.head}`)).sort(), [0, 1], `the other finds it current:\n${logs.join("\n---\n")}`);
            for (const l of logs) {
                assert.strictEqual(count(l, "another server holds the schema lock; waiting"), 1, `each replica waited:\n${l}`);
                assert.ok(!/FAILED|Traceback/.test(l), l);
            }
            // The auth database did not exist: created and migrated once, under the same lock.
            assert.deepStrictEqual(logs.map((l) => count(l, "auth database: empty, creating its schema")).sort(), [0, 1], logs.join("\n---\n"));
            assertNoSecrets(servers.map((s) => s.service.log()).join("\n"));

            // What the previous version wrote reads back (and takes writes) through one replica with
            // the real client; the other serves the same run.
            const verified = await python("upgrade_check.py", ["verify", stateFile], clientEnv(servers[0].port, ADMIN_PASSWORD_A));
            assert.strictEqual(verified.code, 0, `${verified.stdout}\n${verified.stderr.slice(-3000)}`);
            const runId = (JSON.parse(fs.readFileSync(stateFile, "utf8")) as { run_id: string }).run_id;
            const viaOther = await request(servers[1].port, `/api/2.0/mlflow/runs/get?run_id=${runId}`, { Host: `localhost:${servers[1].port}`, Authorization: basicAuth("admin", ADMIN_PASSWORD_A) });
            assert.strictEqual(viaOther.status, 200, viaOther.body);
            assert.ok(viaOther.body.includes('"written_by"') && viaOther.body.includes("after_upgrade_"), viaOther.body);
        });

        it("a restart on the current schema upgrades nothing; a changed admin password takes effect", async function () {
            this.timeout(300000);
            assert.strictEqual(servers.length, 2, "needs the replicas of the previous test");
            await Promise.all(servers.map((s) => s.stop()));
            servers = [];
            const contract = contractFor(pg, db, await freePort(), ADMIN_PASSWORD_B);
            const server = await runContract("upgrade-restart", contract, { dataDir: data });
            servers = [server];
            const log = entrypointLines(server.service.log());
            assert.strictEqual(count(log, `schema current (revision ${current.head}`), 1, log);
            assert.strictEqual(count(log, "upgrading"), 0, log);
            assert.strictEqual(count(log, "waiting"), 0, log);
            assert.strictEqual(count(log, "admin user 'admin': password changed to the configured one"), 1, log);
            assertNoSecrets(server.service.log());

            const api = "/api/2.0/mlflow/experiments/search?max_results=10";
            const withB = await request(server.port, api, { Host: `localhost:${server.port}`, Authorization: basicAuth("admin", ADMIN_PASSWORD_B) });
            assert.strictEqual(withB.status, 200, `the new password works: ${withB.status} ${withB.body}`);
            const withA = await request(server.port, api, { Host: `localhost:${server.port}`, Authorization: basicAuth("admin", ADMIN_PASSWORD_A) });
            assert.strictEqual(withA.status, 401, `the old password is refused: ${withA.status}`);
            assert.ok(withB.body.includes(`written-by-mlflow-${previous.version}`), `the old experiment is served: ${withB.body}`);
            assert.strictEqual(revisionOf(pg, db), current.head);
        });
    });

    describe("the edge cases", function () {
        it("two replicas on an empty database: the schema is created once, under the lock", async function () {
            this.timeout(120000);
            const db = "mlflow_fresh";
            psql(pg, `CREATE DATABASE ${db} OWNER ${DB_USER}`);
            const contract = contractFor(pg, db, await freePort(), ADMIN_PASSWORD_A);
            const holder = await holdAdvisoryLock(pg, db, lockKey);
            const runs = Promise.all([0, 1].map((i) => runEntrypointToExit(`fresh-${i}`, contract, { dataDir: workDir("fresh-data") }, ["--prepare-only"], 90000)));
            try {
                await waitUntil(() => waitingOnLock(pg, db, lockKey) === 2, 60000, "both waiting on the schema lock");
                assert.strictEqual(psql(pg, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", db).trim(), "0", "nothing created while the lock is held");
            } finally {
                holder.release();
            }
            const done = await runs;
            const logs = done.map((r) => entrypointLines(r.log));
            assert.deepStrictEqual(done.map((r) => r.code), [0, 0], logs.join("\n---\n"));
            assert.deepStrictEqual(logs.map((l) => count(l, "empty, creating MLflow")).sort(), [0, 1], logs.join("\n---\n"));
            assert.deepStrictEqual(logs.map((l) => count(l, `schema current (revision ${current.head}`)).sort(), [0, 1], logs.join("\n---\n"));
            assert.strictEqual(revisionOf(pg, db), current.head);
        });

        it("a failed upgrade exits non-zero with a clear message, before any server starts, and changes nothing", async function () {
            this.timeout(120000);
            const db = "mlflow_failing";
            cloneOld(pg, db);
            // The last migration creates this table: an upgrade that fails half-way through.
            psql(pg, `CREATE TABLE scheduler_leases (x integer); ALTER TABLE scheduler_leases OWNER TO ${DB_USER}`, db);
            const contract = contractFor(pg, db, await freePort(), ADMIN_PASSWORD_A);
            const run = await runEntrypointToExit("upgrade-failing", contract, { dataDir: workDir("upgrade-failing-data") }, [], 90000);
            const log = entrypointLines(run.log);
            assert.strictEqual(run.code, 1, `exit code ${run.code}:\n${run.log.slice(-3000)}`);
            assert.match(log, new RegExp(`FAILED: tracking postgresql database '${db}': schema upgrade from ${previous.head} to ${current.head} \\(MLflow ${current.version}\\) failed: ProgrammingError: .*scheduler_leases.* already exists`));
            // PostgreSQL ran the migrations in one transaction: the database is where it was.
            assert.match(run.log, new RegExp(`The database is at revision ${previous.head}; the server was not started`));
            assert.strictEqual(revisionOf(pg, db), previous.head);
            assert.ok(!run.log.includes("[mlflow-deploy] mlflow server"), "the server must not start");
            assertNoSecrets(run.log);
        });

        it("a database upgraded by a newer MLflow stops the start with a clear message", async function () {
            this.timeout(120000);
            const db = "mlflow_newer";
            cloneOld(pg, db);
            psql(pg, "UPDATE alembic_version SET version_num = 'ffffffffffff'", db);
            const contract = contractFor(pg, db, await freePort(), ADMIN_PASSWORD_A);
            const run = await runEntrypointToExit("upgrade-newer", contract, { dataDir: workDir("upgrade-newer-data") }, [], 90000);
            assert.strictEqual(run.code, 1, run.log.slice(-3000));
            assert.match(run.log, new RegExp(`schema at revision ffffffffffff, which MLflow ${current.version} does not know .*set mlflow:mlflowVersion back`));
            assert.strictEqual(revisionOf(pg, db), "ffffffffffff");
            assertNoSecrets(run.log);
        });

        it("SQLite (one replica): a database of the previous version is upgraded without a lock, a current one is left alone", async function () {
            this.timeout(120000);
            const dataDir = workDir("upgrade-sqlite-data");
            const { spec } = parseConfig({ project: "mlflow", stack: "dev", raw: { port: 5000, backend: { type: "sqlite" }, artifacts: { type: "local" } }, secretsSet: new Set() });
            if (spec.backend.type !== "sqlite" || spec.artifacts.type !== "local") {
                throw new Error("expected the sqlite backend and local artifacts");
            }
            const backend = sqliteBackendContract(spec.backend);
            const uri = (backend.uri as string).split("/mlflow/").join(`${dataDir}/`);
            const sqliteState = path.join(workDir("upgrade-sqlite-state"), "old.json");
            const written = await python("upgrade_check.py", ["write", sqliteState], { MLFLOW_TRACKING_URI: uri }, PREVIOUS_PYTHON);
            assert.strictEqual(written.code, 0, written.stderr.slice(-3000));
            assert.strictEqual(await sqliteRevision(uri), previous.head);

            const contract = buildServerContract({ spec, backend, artifacts: localArtifactsContract(spec.artifacts.path, spec.artifacts.prefix), platform: { ...dockerPlatformFacts(spec), listenPort: await freePort() } });
            const first = await runEntrypointToExit("upgrade-sqlite", contract, { dataDir }, ["--prepare-only"], 90000);
            assert.strictEqual(first.code, 0, first.log.slice(-3000));
            const firstLog = entrypointLines(first.log);
            assert.strictEqual(count(firstLog, `schema at ${previous.head}, upgrading to ${current.head}`), 1, firstLog);
            assert.strictEqual(count(firstLog, "schema lock"), 0, "no lock on SQLite");
            assert.strictEqual(await sqliteRevision(uri), current.head);

            const second = await runEntrypointToExit("upgrade-sqlite-again", contract, { dataDir }, ["--prepare-only"], 90000);
            assert.strictEqual(second.code, 0, second.log.slice(-3000));
            const secondLog = entrypointLines(second.log);
            assert.strictEqual(count(secondLog, `schema current (revision ${current.head}`), 1, secondLog);
            assert.strictEqual(count(secondLog, "upgrading"), 0, secondLog);
        });
    });

    function assertNoSecrets(text: string): void {
        for (const secret of [DB_PASSWORD, encodeURIComponent(DB_PASSWORD), ADMIN_PASSWORD_A, ADMIN_PASSWORD_B]) {
            assert.ok(!text.includes(secret), "a secret reached the log");
        }
        assert.ok(!/postgresql(\+psycopg2)?:\/\/[^ ]*@/.test(text), "a database URI reached the log");
    }

    function clientEnv(port: number, password: string): Record<string, string> {
        return { MLFLOW_TRACKING_URI: `http://localhost:${port}`, MLFLOW_TRACKING_USERNAME: "admin", MLFLOW_TRACKING_PASSWORD: password };
    }
});

function backendFor(pg: Postgres, database: string): BackendStoreContract {
    return postgresBackendContract({ host: pg.host, port: pg.port, user: DB_USER, password: DB_PASSWORD, database, authDatabase: `${database}_auth` });
}

/** The program's contract for a replica (postgres backend, local artifacts, basic auth) on its own port. */
function contractFor(pg: Postgres, database: string, port: number, adminPassword: string): ServerContract {
    const { spec } = parseConfig({
        project: "mlflow",
        stack: "prod",
        // One worker per replica keeps the test's CPU small; the entrypoint runs before any worker.
        raw: { port, auth: true, workers: 1, backend: { type: "postgres", mode: "container", database, authDatabase: `${database}_auth`, user: DB_USER }, artifacts: { type: "local" } },
        secretsSet: new Set(),
    });
    if (spec.artifacts.type !== "local") {
        throw new Error("expected local artifacts");
    }
    return buildServerContract({
        spec,
        backend: backendFor(pg, database),
        artifacts: localArtifactsContract(spec.artifacts.path, spec.artifacts.prefix),
        platform: { ...dockerPlatformFacts(spec), listenPort: port },
        auth: { adminPassword, flaskSecretKey: FLASK_SECRET },
    });
}

function cloneOld(pg: Postgres, database: string): void {
    psql(pg, `CREATE DATABASE ${database} TEMPLATE ${OLD_DB} OWNER ${DB_USER}`);
}

function revisionOf(pg: Postgres, database: string): string {
    return psql(pg, "SELECT version_num FROM alembic_version", database).trim();
}

async function sqliteRevision(uri: string): Promise<string> {
    const result = await python("upgrade_check.py", ["revision"], { MLFLOW_TRACKING_URI: uri });
    assert.strictEqual(result.code, 0, result.stderr);
    return (lastJson(result.stdout) as { revision: string }).revision;
}

/** How many sessions wait, not yet granted, on the advisory lock `key` in `database`. */
function waitingOnLock(pg: Postgres, database: string, key: string): number {
    // A bigint key shows as classid (high 32 bits) and objid (low 32 bits), objsubid 1.
    const k = BigInt(key);
    const sql =
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database " +
        `WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = '${database}' ` +
        `AND l.classid = ${k >> 32n} AND l.objid = ${k & 0xffffffffn} AND l.objsubid = 1`;
    return Number(psql(pg, sql).trim());
}

/** A psql session holding pg_advisory_lock(key) on `database` until release(). */
async function holdAdvisoryLock(pg: Postgres, database: string, key: string): Promise<{ proc: ChildProcess; release(): void }> {
    const proc = spawn("psql", [superuserUriFor(pg, database), "-v", "ON_ERROR_STOP=1", "-tA"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    proc.stdout!.on("data", (chunk) => (out += chunk));
    proc.stderr!.on("data", (chunk) => (out += chunk));
    proc.stdin!.write(`SELECT pg_advisory_lock(${key}), 'locked';\n`);
    await waitUntil(() => out.includes("locked"), 30000, `psql taking the advisory lock (${out})`);
    return {
        proc,
        release() {
            proc.stdin!.end(`SELECT pg_advisory_unlock(${key});\n`);
        },
    };
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        }
        await new Promise((r) => setTimeout(r, 250));
    }
}

/** The entrypoint's own lines ([mlflow-deploy] ...). */
function entrypointLines(log: string): string {
    return log
        .split("\n")
        .filter((l) => l.startsWith("[mlflow-deploy]"))
        .join("\n");
}

function count(text: string, needle: string): number {
    return text.split(needle).length - 1;
}

function lastJson(stdout: string): unknown {
    const lines = stdout.trim().split("\n");
    return JSON.parse(lines[lines.length - 1]);
}
