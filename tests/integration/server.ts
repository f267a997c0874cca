// Runs a server contract as a local `mlflow server` process through the image's own entrypoint,
// the way the Docker platform runs it: secrets as files in MLFLOW_SECRETS_DIR, plain env as env.
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { ServerContract } from "../../components/contract";
import { DATA_MOUNT } from "../../components/config/spec";
import { Value } from "../../components/stores/types";
import { PYTHON, ROOT, Service, startProcess, waitForPort, workDir } from "./services";

export function plain(v: Value): string {
    if (typeof v !== "string") {
        throw new Error("the integration tests build contracts from plain values only");
    }
    return v;
}

/** What the entrypoint runs: a server contract, or a scheduled job's (components/opsContract.ts). */
export type EntrypointRun = Pick<ServerContract, "args" | "env" | "secretEnv">;

export interface RunningServer {
    service: Service;
    url: string;
    port: number;
    stop(): Promise<void>;
}

export interface RunOptions {
    /** Stands in for the Docker data volume mounted at DATA_MOUNT. */
    dataDir: string;
    /** Environment the test adds (only the emulator endpoint, where the SDK reads it from the environment). */
    endpointEnv?: Record<string, string>;
}

/** The contract's values with the data volume's mount point mapped to a local directory. */
function mount(value: string, dataDir: string): string {
    return value.split(`${DATA_MOUNT}/`).join(`${dataDir}/`);
}

/** The process the Docker platform would start: the entrypoint, the contract's args, secrets as files. */
export function entrypointProcess(name: string, contract: EntrypointRun, opts: RunOptions, extraArgs: string[] = []): { env: NodeJS.ProcessEnv; args: string[] } {
    const secretsDir = workDir(`${name}-secrets`);
    for (const [key, value] of Object.entries(contract.secretEnv)) {
        const file = path.join(secretsDir, key);
        fs.writeFileSync(file, mount(plain(value), opts.dataDir), { mode: 0o400 });
    }
    const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LANG: "C.UTF-8",
        ...Object.fromEntries(Object.entries(contract.env).map(([k, v]) => [k, mount(plain(v), opts.dataDir)])),
        MLFLOW_SECRETS_DIR: secretsDir,
        ...opts.endpointEnv,
    };
    const args = [...extraArgs, ...contract.args.map((a) => mount(plain(a), opts.dataDir))];
    return { env, args: [path.join(ROOT, "components", "image", "entrypoint.py"), ...args] };
}

/** Starts the contract's server and resolves once /health answers 200. */
export async function runContract(name: string, contract: ServerContract, opts: RunOptions): Promise<RunningServer> {
    const { env, args } = entrypointProcess(name, contract, opts);
    const service = startProcess(`mlflow-${name}`, PYTHON, args, env);
    try {
        await waitForPort(contract.port, 120000, `mlflow server (${name})`, service.proc);
        await waitForHealth(contract.port, 120000, service);
    } catch (e) {
        await service.stop();
        throw new Error(`${String(e)}\n--- server log ---\n${service.log().slice(-4000)}`);
    }
    return { service, url: `http://127.0.0.1:${contract.port}`, port: contract.port, stop: () => service.stop() };
}

/**
 * Runs the entrypoint with the contract until it exits by itself (a failed preparation, or
 * `--prepare-only` in extraArgs); fails if it is still running after timeoutMs.
 */
export async function runEntrypointToExit(name: string, contract: EntrypointRun, opts: RunOptions, extraArgs: string[], timeoutMs: number): Promise<{ code: number | null; log: string; seconds: number }> {
    const { env, args } = entrypointProcess(name, contract, opts, extraArgs);
    const started = Date.now();
    const service = startProcess(`mlflow-${name}`, PYTHON, args, env);
    const exited = new Promise<number | null>((resolve) => service.proc.once("exit", (code) => resolve(code)));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
    const outcome = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (outcome === "timeout") {
        await service.stop();
        throw new Error(`the entrypoint (${name}) was still running after ${timeoutMs} ms:\n${service.log().slice(-4000)}`);
    }
    return { code: outcome, log: service.log(), seconds: (Date.now() - started) / 1000 };
}

export async function waitForHealth(port: number, timeoutMs: number, service: Service, pollMs = 300): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (service.proc.exitCode !== null) {
            throw new Error(`server exited with ${service.proc.exitCode}`);
        }
        const res = await request(port, "/health", {}).catch(() => undefined);
        if (res?.status === 200) {
            return;
        }
        await new Promise((r) => setTimeout(r, pollMs));
    }
    throw new Error(`/health did not answer 200 within ${timeoutMs} ms`);
}

export interface HttpResult {
    status: number;
    body: string;
}

/** A raw HTTP request, so the test controls the Host header exactly. */
export function request(port: number, urlPath: string, headers: Record<string, string>, method = "GET"): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, path: urlPath, method, headers, timeout: 30000 }, (res) => {
            let body = "";
            res.on("data", (chunk) => (body += chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.end();
    });
}

export function basicAuth(user: string, password: string): string {
    return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** Runs a Python helper from tests/integration with the venv's interpreter. */
export function python(script: string, args: string[], env: NodeJS.ProcessEnv, interpreter: string = PYTHON): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(interpreter, [path.join(__dirname, script), ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
            resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
        });
    });
}
