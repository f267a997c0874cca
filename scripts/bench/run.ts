// npm run bench: starts the real server contract through the image's entrypoint, one
// configuration at a time, pinned to one core, and measures its memory (PSS of the whole process
// tree, idle and under load), its start to /health, and its tracking throughput with concurrent
// MLflow clients, next to the seed S0's plain `mlflow server` command measured in the same run.
//
//   npm run bench                                  # the whole matrix (about 25 minutes)
//   npm run bench -- --workers 2 --auth on --backends postgresql --job-runner off --seconds 10
//
// A benchmark, not a test: it asserts nothing but prints a Markdown table (and writes it with
// the raw figures under .bench/). Every process it starts is stopped, whatever fails.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { JobRunnerMode } from "../../components/config/jobRunner";
import { parseConfig } from "../../components/config/parse";
import { buildServerContract } from "../../components/contract";
import { dockerPlatformFacts } from "../../components/platform/docker/platform";
import { localArtifactsContract, postgresBackendContract, sqliteBackendContract } from "../../components/stores/contracts";
import { entrypointProcess, python, waitForHealth } from "../../tests/integration/server";
import { freePort, Postgres, PYTHON, psql, ROOT, Service, startPostgres, startProcess, stopAll, workDir } from "../../tests/integration/services";
import { BenchBackend, BenchConfig, BenchResult, benchConfigs, formatTable, label, Machine } from "./configs";
import { cpuSeconds, pin, sampleTree } from "./processes";

const SERVER_CPU = "0";
const CLIENT_CPUS = os.cpus().length > 1 ? `1-${os.cpus().length - 1}` : "0";
const ADMIN_PASSWORD = crypto.randomBytes(18).toString("base64url");
const DB_PASSWORD = crypto.randomBytes(18).toString("base64url");
/**
 * Idle means the tree used under 5% of its core for 3 s in a row (its consumers start after
 * /health), or 30 s passed (the job runner's consumers poll, and never quite rest).
 */
const IDLE_CPU_SHARE = 0.05;
const CLIENT_CORES = os.cpus().length > 1 ? os.cpus().length - 1 : 1;

async function settle(pgid: number): Promise<void> {
    let quiet = 0;
    for (let i = 0; i < 30 && quiet < 3; i++) {
        const before = cpuSeconds(pgid);
        await new Promise((r) => setTimeout(r, 1000));
        quiet = cpuSeconds(pgid) - before < IDLE_CPU_SHARE ? quiet + 1 : 0;
    }
}

let DB_POOL: number[] | undefined;

const list = (text: string) => text.split(",").map((s) => s.trim()).filter(Boolean);

function options() {
    const { values } = parseArgs({
        options: {
            workers: { type: "string", default: "1,2,4" },
            "job-runner": { type: "string", default: "off,on,dedicated" },
            backends: { type: "string", default: "sqlite,postgresql" },
            auth: { type: "string", default: "off,on" },
            clients: { type: "string", default: "16" },
            seconds: { type: "string", default: "20" },
            "db-pool": { type: "string" },
            s0: { type: "string", default: "on" },
        },
    });
    return {
        matrix: {
            workers: list(values.workers!).map(Number),
            jobRunner: list(values["job-runner"]!) as JobRunnerMode[],
            backends: list(values.backends!) as BenchBackend[],
            auth: list(values.auth!).map((a) => a === "on"),
        },
        clients: Number(values.clients),
        seconds: Number(values.seconds),
        // SIZE+OVERFLOW, e.g. 5+10; unset: the program's defaults.
        dbPool: values["db-pool"] ? values["db-pool"].split("+").map(Number) : undefined,
        s0: values.s0 !== "off",
    };
}

/** The command and environment of one configuration: the contract through the entrypoint, or S0. */
function serverProcess(config: BenchConfig, port: number, dataDir: string, pg: Postgres | undefined, database: string): { args: string[]; env: NodeJS.ProcessEnv } {
    if (config.s0) {
        const args = ["-m", "mlflow", "server", "--backend-store-uri", `sqlite:///${dataDir}/mlflow.db`, "--default-artifact-root", `file://${dataDir}/artifacts`, "--host", "0.0.0.0", "--port", String(port), "--allowed-hosts", "*"];
        return { args, env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8" } };
    }
    // An external server to the program: no connection limit it knows, so MLflow's pool of 5 + 10
    // per engine unless --db-pool says otherwise (components/config/connections.ts).
    const backend = config.backend === "sqlite" ? { type: "sqlite" } : { type: "postgres", mode: "external", authDatabase: `${database}_auth` };
    const pool = DB_POOL ? { dbPoolSize: DB_POOL[0], dbMaxOverflow: DB_POOL[1] } : {};
    const secretsSet = new Set<"postgresUrl">(config.backend === "postgresql" ? ["postgresUrl"] : []);
    const { spec } = parseConfig({ project: "mlflow", stack: "dev", raw: { workers: config.workers, jobRunner: config.jobRunner, auth: config.auth, backend, ...pool }, secretsSet });
    const backendContract =
        config.backend === "sqlite"
            ? sqliteBackendContract({ type: "sqlite", path: "/mlflow/mlflow.db" })
            : postgresBackendContract({ host: pg!.host, port: pg!.port, user: "bench", password: DB_PASSWORD, database, authDatabase: `${database}_auth` });
    const contract = buildServerContract({
        spec,
        backend: backendContract,
        artifacts: localArtifactsContract("/mlflow/artifacts", "dev"),
        platform: { ...dockerPlatformFacts(spec), listenPort: port },
        auth: config.auth ? { adminPassword: ADMIN_PASSWORD, flaskSecretKey: crypto.randomBytes(32).toString("hex") } : undefined,
        // "dedicated": the job-runner instance (its web servers are measured as "off").
        role: config.jobRunner === "dedicated" ? "job-runner" : "server",
    });
    return entrypointProcess(`bench-${port}`, contract, { dataDir });
}

async function measure(config: BenchConfig, index: number, clients: number, seconds: number, pg: Postgres | undefined): Promise<BenchResult> {
    const port = await freePort();
    const dataDir = workDir(`bench-${index}-data`);
    const database = `bench_${index}`;
    if (config.backend === "postgresql" && !config.s0) {
        psql(pg!, `CREATE DATABASE ${database} OWNER bench`);
    }
    const { args, env } = serverProcess(config, port, dataDir, pg, database);
    const started = Date.now();
    const service: Service = startProcess(`bench-${index}`, "taskset", ["-c", SERVER_CPU, PYTHON, ...args], env);
    try {
        await waitForHealth(port, 300000, service, 100).catch((e) => {
            throw new Error(`${label(config)}: ${String(e)}\n${service.log().slice(-3000)}`);
        });
        const startSeconds = (Date.now() - started) / 1000;
        const pgid = service.proc.pid!;
        await settle(pgid);
        const idle = sampleTree(pgid);

        const clientEnv: NodeJS.ProcessEnv = config.auth ? { MLFLOW_TRACKING_USERNAME: "admin", MLFLOW_TRACKING_PASSWORD: ADMIN_PASSWORD } : {};
        let loadMiB = idle.pssMiB;
        let connections = 0;
        const countConnections = () => (config.backend === "postgresql" && !config.s0 ? Number(psql(pg!, `SELECT count(*) FROM pg_stat_activity WHERE usename = 'bench'`).trim()) : 0);
        const sampler = setInterval(() => {
            loadMiB = Math.max(loadMiB, sampleTree(pgid).pssMiB);
            connections = Math.max(connections, countConnections());
        }, 1000);
        const cpuBefore = cpuSeconds(pgid);
        const dbCpuBefore = pg ? cpuSeconds(pg.service.proc.pid!) : 0;
        const wallBefore = Date.now();
        const load = await python("../../scripts/bench/load.py", [`http://127.0.0.1:${port}`, String(clients), String(seconds)], { ...clientEnv, BENCH_CPUS: CLIENT_CPUS });
        const wall = (Date.now() - wallBefore) / 1000;
        const serverCpuPercent = ((cpuSeconds(pgid) - cpuBefore) / wall) * 100;
        const dbCpu = pg ? cpuSeconds(pg.service.proc.pid!) - dbCpuBefore : 0;
        clearInterval(sampler);
        if (load.code !== 0) {
            throw new Error(`${label(config)}: the load generator failed:\n${load.stderr.slice(-3000)}`);
        }
        const figures = JSON.parse(load.stdout.trim().split("\n").pop()!) as { runs: number; errors: number; client_cpu_seconds: number; first_error: string };
        return {
            config,
            processes: idle.processes,
            idleMiB: idle.pssMiB,
            loadMiB,
            startSeconds,
            runs: figures.runs,
            runsPerSecond: figures.runs / seconds,
            errors: figures.errors,
            serverCpuPercent,
            dbConnections: connections,
            otherCoresPercent: ((figures.client_cpu_seconds + dbCpu) / (wall * CLIENT_CORES)) * 100,
            firstError: figures.first_error,
        };
    } finally {
        await service.stop();
    }
}

function machine(clients: number, seconds: number): Machine {
    const mlflow = execFileSync(PYTHON, ["-c", "import importlib.metadata as m; print(m.version('mlflow'))"], { encoding: "utf8" }).trim();
    return {
        date: new Date().toISOString().slice(0, 10),
        cpu: os.cpus()[0]?.model.replace(/\s+/g, " ").trim() ?? "unknown CPU",
        cores: os.cpus().length,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        mlflow,
        clients,
        seconds,
    };
}

async function main(): Promise<void> {
    const { matrix, clients, seconds, dbPool, s0 } = options();
    DB_POOL = dbPool;
    const configs = benchConfigs(matrix).filter((c) => s0 || !c.s0);
    let pg: Postgres | undefined;
    const results: BenchResult[] = [];
    try {
        if (configs.some((c) => c.backend === "postgresql")) {
            pg = await startPostgres();
            // The database is the cloud's managed server, not the server under test: it runs beside the clients.
            pin(pg.service.proc.pid!, CLIENT_CPUS);
            psql(pg, `CREATE ROLE bench LOGIN CREATEDB PASSWORD '${DB_PASSWORD}'`);
        }
        for (const [i, config] of configs.entries()) {
            process.stderr.write(`[bench] ${i + 1}/${configs.length} ${label(config)} ...`);
            const result = await measure(config, i, clients, seconds, pg);
            process.stderr.write(` ${result.startSeconds.toFixed(1)} s to /health, ${result.idleMiB}/${result.loadMiB} MiB, ${result.runsPerSecond.toFixed(1)} runs/s, ${result.errors} errors\n`);
            results.push(result);
        }
    } finally {
        await stopAll();
    }
    const table = formatTable(results, machine(clients, seconds));
    const outDir = path.join(ROOT, ".bench");
    fs.mkdirSync(outDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    fs.writeFileSync(path.join(outDir, `${stamp}.md`), table + "\n");
    fs.writeFileSync(path.join(outDir, `${stamp}.json`), JSON.stringify(results, null, 2) + "\n");
    process.stdout.write(table + "\n");
}

// Ctrl-C or a kill: tests/integration/services.ts kills every process group it started.
main().catch(async (e) => {
    await stopAll();
    process.stderr.write(`\n[bench] FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
});
