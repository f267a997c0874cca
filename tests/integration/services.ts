// Local stand-ins for the stores, started and stopped by the integration tests: a real
// PostgreSQL (Debian's package), moto's S3 server, Azurite (Blob) and a GCS emulator.
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const PYTHON = process.env.MLFLOW_TEST_PYTHON ?? path.join(ROOT, ".venv", "bin", "python");
/** The previous MLflow minor (tests/integration/requirements-previous.txt), set up by scripts/setup.sh. */
export const PREVIOUS_PYTHON = process.env.MLFLOW_PREVIOUS_PYTHON ?? path.join(ROOT, ".tools", "mlflow-previous", "bin", "python");
const VENV_BIN = path.dirname(PYTHON);

/** Azurite's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

export async function waitForPort(port: number, timeoutMs: number, what: string, proc?: ChildProcess): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (proc && proc.exitCode !== null) {
            throw new Error(`${what} exited with ${proc.exitCode} before listening on ${port}`);
        }
        const open = await new Promise<boolean>((resolve) => {
            const socket = net.connect(port, "127.0.0.1");
            socket.once("connect", () => {
                socket.destroy();
                resolve(true);
            });
            socket.once("error", () => resolve(false));
        });
        if (open) {
            return;
        }
        await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
}

/** Every service started and not yet stopped: the root hook (hooks.ts) stops what is left. */
const running = new Set<Service>();

/** Whether any process of the group led by pid is still alive. */
function groupAlive(pid: number): boolean {
    try {
        process.kill(-pid, 0);
        return true;
    } catch {
        return false;
    }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
        process.kill(-pid, signal);
    } catch {
        /* the group is gone */
    }
}

/**
 * A process started in a process group of its own. Stopping it stops the whole group:
 * `mlflow server` leaves its workers and job-runner consumers running when only it is killed.
 */
export class Service {
    constructor(
        readonly name: string,
        readonly proc: ChildProcess,
        readonly logFile: string,
    ) {
        running.add(this);
    }

    async stop(): Promise<void> {
        running.delete(this);
        const pid = this.proc.pid;
        if (pid === undefined || !groupAlive(pid)) {
            return;
        }
        signalGroup(pid, "SIGTERM");
        const deadline = Date.now() + 10000;
        while (groupAlive(pid) && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 100));
        }
        signalGroup(pid, "SIGKILL");
        while (groupAlive(pid)) {
            await new Promise((r) => setTimeout(r, 50));
        }
    }

    log(): string {
        return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, "utf8") : "";
    }
}

/** Stops every service still running (a `before` hook that failed halfway leaves some). */
export async function stopAll(): Promise<string[]> {
    const left = [...running].filter((s) => s.proc.pid !== undefined && groupAlive(s.proc.pid));
    await Promise.all(left.map((s) => s.stop()));
    return left.map((s) => s.name);
}

// Last resort when the runner itself exits or is stopped (Ctrl-C, a CI timeout's SIGTERM): no
// process group outlives it.
function killAll(): void {
    for (const service of running) {
        if (service.proc.pid !== undefined) signalGroup(service.proc.pid, "SIGKILL");
    }
}
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
        killAll();
        process.exit(130);
    });
}

/** Removes what earlier runs left in .integration-work. */
export function resetWorkRoot(): void {
    fs.rmSync(path.join(ROOT, ".integration-work"), { recursive: true, force: true });
}

export function workDir(name: string): string {
    const base = path.join(ROOT, ".integration-work");
    fs.mkdirSync(base, { recursive: true });
    return fs.mkdtempSync(path.join(base, `${name}-`));
}

export function startProcess(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Service {
    const logFile = path.join(workDir("logs"), `${name}.log`);
    const out = fs.openSync(logFile, "a");
    const proc = spawn(command, args, { env, cwd, stdio: ["ignore", out, out], detached: true });
    fs.closeSync(out);
    return new Service(name, proc, logFile);
}

export async function startMoto(): Promise<{ service: Service; endpoint: string }> {
    const port = await freePort();
    const service = startProcess("moto", path.join(VENV_BIN, "moto_server"), ["-H", "127.0.0.1", "-p", String(port)], process.env);
    await waitForPort(port, 30000, "moto", service.proc);
    return { service, endpoint: `http://127.0.0.1:${port}` };
}

export async function startAzurite(): Promise<{ service: Service; connectionString: string }> {
    const port = await freePort();
    const dir = workDir("azurite");
    const bin = path.join(ROOT, "node_modules", ".bin", "azurite-blob");
    const service = startProcess("azurite", bin, ["--blobHost", "127.0.0.1", "--blobPort", String(port), "--location", dir, "--skipApiVersionCheck", "--loose", "--silent"], process.env);
    await waitForPort(port, 30000, "azurite", service.proc);
    const connectionString =
        `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
        `BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`;
    return { service, connectionString };
}

export async function startGcsEmulator(): Promise<{ service: Service; host: string }> {
    const port = await freePort();
    const service = startProcess("gcs", path.join(VENV_BIN, "gcp-storage-emulator"), ["start", "--host", "127.0.0.1", "--port", String(port), "--in-memory"], process.env);
    await waitForPort(port, 30000, "gcp-storage-emulator", service.proc);
    return { service, host: `http://127.0.0.1:${port}` };
}

function pgBin(tool: string): string {
    const base = "/usr/lib/postgresql";
    const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
    for (const v of versions) {
        const candidate = path.join(base, v, "bin", tool);
        if (fs.existsSync(candidate)) {
            return candidate;
        }
    }
    throw new Error(`PostgreSQL's ${tool} not found under ${base}: apt-get install postgresql`);
}

/** Runs a command as the `postgres` system user when we are root (initdb refuses root). */
function asPostgres(command: string, args: string[]): [string, string[]] {
    return process.getuid && process.getuid() === 0 ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
}

export interface Postgres {
    service: Service;
    host: string;
    port: number;
    superuserUri: string;
}

/** A throw-away PostgreSQL cluster on a free port, trust auth for the superuser over the socket only. */
export async function startPostgres(): Promise<Postgres> {
    const port = await freePort();
    const dir = workDir("postgres");
    const data = path.join(dir, "data");
    const socketDir = path.join(dir, "socket");
    fs.mkdirSync(socketDir);
    if (process.getuid && process.getuid() === 0) {
        execFileSync("chown", ["-R", "postgres:postgres", dir]);
        fs.chmodSync(dir, 0o755);
        // The cluster's parent directories must be traversable by the postgres user.
        for (let p = path.dirname(dir); p !== "/"; p = path.dirname(p)) {
            fs.chmodSync(p, fs.statSync(p).mode | 0o005);
        }
    }
    const [initCmd, initArgs] = asPostgres(pgBin("initdb"), ["-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8"]);
    execFileSync(initCmd, initArgs, { stdio: "pipe" });
    const [cmd, args] = asPostgres(pgBin("postgres"), ["-D", data, "-p", String(port), "-k", socketDir, "-c", "listen_addresses=127.0.0.1"]);
    const service = startProcess("postgres", cmd, args, process.env);
    await waitForPort(port, 30000, "postgres", service.proc);
    return { service, host: "127.0.0.1", port, superuserUri: `postgresql://postgres@/postgres?host=${socketDir}&port=${port}` };
}

/** The superuser's URI (Unix socket, no password) for one database of the cluster. */
export function superuserUriFor(pg: Postgres, database: string): string {
    return pg.superuserUri.replace("/postgres?", `/${database}?`);
}

/** Runs SQL as the superuser (over the Unix socket) with psql, in the `postgres` database or the one given. */
export function psql(pg: Postgres, sql: string, database?: string): string {
    const uri = database ? superuserUriFor(pg, database) : pg.superuserUri;
    return execFileSync("psql", [uri, "-v", "ON_ERROR_STOP=1", "-tAc", sql], { encoding: "utf8" });
}

export function tmpFile(name: string): string {
    return path.join(workDir("tmp"), name);
}

export { os };
