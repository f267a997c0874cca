// npm run bench:startup: where the start of one server goes, on one core. Starts the contract
// through the entrypoint (SQLite, auth on, the given workers and job runner), pinned to CPU 0,
// and prints each milestone of its log with the seconds since the start, then /health.
//
//   npm run bench:startup -- --workers 1 --job-runner off
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as http from "http";
import { parseArgs } from "util";
import { JobRunnerMode } from "../../components/config/jobRunner";
import { parseConfig } from "../../components/config/parse";
import { buildServerContract } from "../../components/contract";
import { dockerPlatformFacts } from "../../components/platform/docker/platform";
import { localArtifactsContract, sqliteBackendContract } from "../../components/stores/contracts";
import { entrypointProcess } from "../../tests/integration/server";
import { freePort, PYTHON, workDir } from "../../tests/integration/services";

const MILESTONES: [RegExp, string][] = [
    [/\[mlflow-deploy\] (loaded secrets|tracking|auth database)/, "entrypoint: preparation"],
    [/\[mlflow-deploy\] mlflow server /, "entrypoint: preparation done, `mlflow server` starts in-process"],
    [/Uvicorn running on|Started parent process/, "uvicorn listening"],
    [/Started server process/, "a worker process started (imports MLflow's app)"],
    [/Application startup complete/, "a worker is ready"],
];

function healthy(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const req = http.get({ host: "127.0.0.1", port, path: "/health", timeout: 1000 }, (res) => {
            res.resume();
            resolve(res.statusCode === 200);
        });
        req.on("error", () => resolve(false));
        req.on("timeout", () => req.destroy());
    });
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { workers: { type: "string", default: "1" }, "job-runner": { type: "string", default: "off" } } });
    const port = await freePort();
    const { spec } = parseConfig({ project: "mlflow", stack: "dev", raw: { workers: values.workers, jobRunner: values["job-runner"] as JobRunnerMode, auth: true }, secretsSet: new Set() });
    const contract = buildServerContract({
        spec,
        backend: sqliteBackendContract({ type: "sqlite", path: "/mlflow/mlflow.db" }),
        artifacts: localArtifactsContract("/mlflow/artifacts", "dev"),
        platform: { ...dockerPlatformFacts(spec), listenPort: port },
        auth: { adminPassword: crypto.randomBytes(12).toString("hex"), flaskSecretKey: crypto.randomBytes(32).toString("hex") },
    });
    const { args, env } = entrypointProcess("startup", contract, { dataDir: workDir("startup-data") });
    const started = Date.now();
    const child = spawn("taskset", ["-c", "0", PYTHON, ...args], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const stamp = () => ((Date.now() - started) / 1000).toFixed(1).padStart(5);
    const seen = new Map<string, number>();
    const onLine = (line: string) => {
        for (const [pattern, what] of MILESTONES) {
            if (pattern.test(line)) {
                const n = (seen.get(what) ?? 0) + 1;
                seen.set(what, n);
                process.stdout.write(`${stamp()} s  ${what}${n > 1 ? ` (${n})` : ""}\n`);
            }
        }
    };
    for (const stream of [child.stdout!, child.stderr!]) {
        let buffer = "";
        stream.on("data", (chunk: Buffer) => {
            buffer += chunk.toString();
            const lines = buffer.split("\n");
            buffer = lines.pop()!;
            lines.forEach(onLine);
        });
    }
    try {
        while (!(await healthy(port))) {
            if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
            if (Date.now() - started > 180000) throw new Error("no /health within 180 s");
            await new Promise((r) => setTimeout(r, 100));
        }
        process.stdout.write(`${stamp()} s  /health answers 200 (${values.workers} worker(s), job runner ${values["job-runner"]}, SQLite, auth, one core)\n`);
    } finally {
        try {
            process.kill(-child.pid!, "SIGKILL");
        } catch {
            /* gone */
        }
    }
}

main().catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
});
