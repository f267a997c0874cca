// mlflow:jobRunner "dedicated" against a real MLflow and PostgreSQL: two web servers and one
// job-runner instance, three process trees on one database, as a multi-replica cloud stack runs
// them. Jobs submitted through either web server run exactly once, on the job runner, and report
// their status through the other web server; the periodic tasks run on the job runner only.
import * as assert from "assert";
import * as crypto from "crypto";
import { execFileSync } from "child_process";
import * as http from "http";
import { ServerRole } from "../../components/config/jobRunner";
import { parseConfig } from "../../components/config/parse";
import { buildServerContract } from "../../components/contract";
import { dockerPlatformFacts } from "../../components/platform/docker/platform";
import { localArtifactsContract, postgresBackendContract } from "../../components/stores/contracts";
import { RunningServer, runContract } from "./server";
import { freePort, Postgres, psql, startPostgres, workDir } from "./services";

const DB_PASSWORD = crypto.randomBytes(12).toString("hex");
const TERMINAL = new Set(["SUCCEEDED", "FAILED", "TIMEOUT", "CANCELED"]);

function api(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
        const headers: Record<string, string | number> = text ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) } : {};
        const req = http.request({ host: "127.0.0.1", port, path, method, headers, timeout: 30000 }, (res) => {
            let data = "";
            res.on("data", (c) => (data += c));
            res.on("end", () => {
                let json: Record<string, unknown> = {};
                try {
                    json = JSON.parse(data) as Record<string, unknown>;
                } catch {
                    json = { raw: data };
                }
                resolve({ status: res.statusCode ?? 0, json });
            });
        });
        req.on("error", reject);
        req.end(text);
    });
}

function processGroup(server: RunningServer): string[] {
    return execFileSync("pgrep", ["-a", "-g", String(server.service.proc.pid)], { encoding: "utf8" }).split("\n").filter((l) => l.trim());
}

async function waitForJob(port: number, jobId: string, timeoutMs: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    let last: Record<string, unknown> = {};
    while (Date.now() < deadline) {
        last = (await api(port, "GET", `/ajax-api/3.0/jobs/${jobId}`)).json;
        if (TERMINAL.has(String(last.status))) return last;
        await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`job ${jobId} not finished after ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

/** Executions of the periodic online-scoring scheduler in a log: distinct huey task ids (a line may be logged twice). */
const periodicRuns = (log: string) => new Set([...log.matchAll(/Executing \S*online_scoring_scheduler: ([0-9a-f-]+)/g)].map((m) => m[1])).size;

describe("mlflow:jobRunner dedicated: two web servers and one job runner on one PostgreSQL", function () {
    this.timeout(600000);
    let pg: Postgres;
    const servers: Partial<Record<"webA" | "webB" | "runner", RunningServer>> = {};

    before(async function () {
        pg = await startPostgres();
        psql(pg, `CREATE ROLE mlflow_jobs LOGIN CREATEDB PASSWORD '${DB_PASSWORD}'`);
        psql(pg, "CREATE DATABASE mlflow_jobs OWNER mlflow_jobs");
        const { spec } = parseConfig({
            project: "mlflow",
            stack: "dev",
            // DEBUG makes the periodic consumer log each execution, which the test counts.
            raw: { jobRunner: "dedicated", workers: 2, backend: { type: "postgres", mode: "container", database: "mlflow_jobs", authDatabase: "mlflow_jobs_auth", user: "mlflow_jobs" }, extraEnv: { MLFLOW_LOGGING_LEVEL: "DEBUG" } },
            secretsSet: new Set(),
        });
        const backend = postgresBackendContract({ host: pg.host, port: pg.port, user: "mlflow_jobs", password: DB_PASSWORD, database: "mlflow_jobs", authDatabase: "mlflow_jobs_auth" });
        const artifacts = localArtifactsContract("/mlflow/artifacts", "dev");
        const dataDir = workDir("dedicated-data");
        const start = async (name: "webA" | "webB" | "runner", role: ServerRole) => {
            const port = await freePort();
            const contract = buildServerContract({ spec, backend, artifacts, platform: { ...dockerPlatformFacts(spec), listenPort: port }, role });
            servers[name] = await runContract(`dedicated-${name}`, contract, { dataDir });
        };
        // The runner first, so the schema exists; the web servers then start side by side.
        await start("runner", "job-runner");
        await Promise.all([start("webA", "web"), start("webB", "web")]);
    });

    after(async function () {
        await Promise.all(Object.values(servers).map((s) => s?.stop()));
        await pg?.service.stop();
    });

    it("the web servers run no job runner; the job runner runs MLflow's executor engine and the periodic consumer", async function () {
        const deadline = Date.now() + 60000;
        let runner: string[] = [];
        do {
            runner = processGroup(servers.runner!);
            if (runner.some((p) => /_executor_runner/.test(p)) && runner.some((p) => /_periodic_tasks_consumer/.test(p))) break;
            await new Promise((r) => setTimeout(r, 500));
        } while (Date.now() < deadline);
        assert.ok(runner.some((p) => /_executor_runner/.test(p)), `the executor runs on the job runner:\n${runner.join("\n")}`);
        assert.ok(runner.some((p) => /_periodic_tasks_consumer/.test(p)), `the periodic consumer runs on the job runner:\n${runner.join("\n")}`);
        for (const name of ["webA", "webB"] as const) {
            const procs = processGroup(servers[name]!);
            assert.ok(!procs.some((p) => /_job_runner|_executor_runner|huey_consumer/.test(p)), `${name} runs no job runner:\n${procs.join("\n")}`);
            assert.ok(servers[name]!.service.log().includes("job runner: not here"), `${name} says where its jobs run`);
        }
    });

    it("jobs submitted through either web server run exactly once, on the job runner, and report through the other", async function () {
        const jobs: { id: string; via: number; readBack: number }[] = [];
        const [a, b] = [servers.webA!.port, servers.webB!.port];
        for (let i = 0; i < 6; i++) {
            // Each on an experiment of its own: the job is exclusive per experiment.
            const experiment = await api(a, "POST", "/api/2.0/mlflow/experiments/create", { name: `jobs-${i}-${Date.now()}` });
            assert.strictEqual(experiment.status, 200, JSON.stringify(experiment.json));
            const via = i % 2 === 0 ? a : b;
            const submitted = await api(via, "POST", "/ajax-api/3.0/jobs/", { job_name: "run_online_trace_scorer", params: { experiment_id: experiment.json.experiment_id, online_scorers: [] } });
            assert.strictEqual(submitted.status, 200, `submit through ${via}: ${JSON.stringify(submitted.json)}`);
            jobs.push({ id: String(submitted.json.job_id), via, readBack: via === a ? b : a });
        }
        for (const job of jobs) {
            const done = await waitForJob(job.readBack, job.id, 120000);
            assert.strictEqual(done.status, "SUCCEEDED", `job ${job.id} through the other web server: ${JSON.stringify(done)}`);
            const viaSubmitter = await api(job.via, "GET", `/ajax-api/3.0/jobs/${job.id}`);
            assert.strictEqual(viaSubmitter.json.status, "SUCCEEDED");
        }
        const logs = { runner: servers.runner!.service.log(), webA: servers.webA!.service.log(), webB: servers.webB!.service.log() };
        for (const job of jobs) {
            const runs = (text: string) => text.split(`Executor engine running job ${job.id} `).length - 1;
            assert.strictEqual(runs(logs.runner), 1, `job ${job.id} ran once on the job runner`);
            assert.strictEqual(runs(logs.webA) + runs(logs.webB), 0, `job ${job.id} never ran on a web server`);
        }
        const rows = psql(pg, `SELECT count(*), sum(retry_count) FROM jobs WHERE id IN (${jobs.map((j) => `'${j.id}'`).join(",")})`, "mlflow_jobs").trim();
        assert.strictEqual(rows, `${jobs.length}|0`, "one row per job, none retried");
    });

    it("the periodic tasks run on the job runner only: counted over two minutes", async function () {
        const before = { runner: periodicRuns(servers.runner!.service.log()), web: periodicRuns(servers.webA!.service.log()) + periodicRuns(servers.webB!.service.log()) };
        await new Promise((r) => setTimeout(r, 125000));
        const runner = periodicRuns(servers.runner!.service.log()) - before.runner;
        const web = periodicRuns(servers.webA!.service.log()) + periodicRuns(servers.webB!.service.log()) - before.web;
        console.log(`      online-scoring scheduler runs in 125 s: job runner ${runner}, web servers ${web}`);
        // Every minute on one instance: 2 (or 3, when the window spans three minute marks).
        const lines = servers.runner!.service.log().split("\n").filter((l) => l.includes("online_scoring_scheduler"));
        assert.ok(runner >= 2 && runner <= 3, `the job runner schedules once a minute, got ${runner}:\n${lines.slice(-12).join("\n")}`);
        assert.strictEqual(web, 0, "the web servers schedule nothing");
    });
});
