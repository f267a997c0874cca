// mlflow:jobRunner against a real MLflow: off (the default) runs no job-runner process and a
// job submission gets MLflow's own message; on runs the huey consumers. Whole process groups are
// stopped afterwards (services.ts), so no consumer outlives its server.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as http from "http";
import { parseConfig } from "../../components/config/parse";
import { buildServerContract } from "../../components/contract";
import { dockerPlatformFacts } from "../../components/platform/docker/platform";
import { localArtifactsContract, sqliteBackendContract } from "../../components/stores/contracts";
import { RunningServer, runContract } from "./server";
import { freePort, workDir } from "./services";

const OFF_MESSAGE = "Mlflow server job execution feature is not enabled";

async function serve(name: string, jobRunner: "on" | "off"): Promise<RunningServer> {
    const { spec } = parseConfig({ project: "mlflow", stack: "dev", raw: { jobRunner, workers: 2 }, secretsSet: new Set() });
    const port = await freePort();
    const contract = buildServerContract({
        spec,
        backend: sqliteBackendContract({ type: "sqlite", path: "/mlflow/mlflow.db" }),
        artifacts: localArtifactsContract("/mlflow/artifacts", "dev"),
        platform: { ...dockerPlatformFacts(spec), listenPort: port },
    });
    return runContract(`jobs-${name}`, contract, { dataDir: workDir(`jobs-${name}-data`) });
}

/** The command lines of every process in the server's process group. */
function processGroup(server: RunningServer): string[] {
    const out = execFileSync("pgrep", ["-a", "-g", String(server.service.proc.pid)], { encoding: "utf8" });
    return out.split("\n").filter((l) => l.trim());
}

function submitJob(port: number): Promise<{ status: number; body: string }> {
    const body = JSON.stringify({ job_name: "invoke_scorer", params: {} });
    return new Promise((resolve, reject) => {
        const req = http.request(
            { host: "127.0.0.1", port, path: "/ajax-api/3.0/jobs/", method: "POST", headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } },
            (res) => {
                let text = "";
                res.on("data", (c) => (text += c));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
            },
        );
        req.on("error", reject);
        req.end(body);
    });
}

describe("the job runner (mlflow:jobRunner) against a real MLflow", function () {
    this.timeout(240000);

    it("off: no job-runner process, and a submitted job gets MLflow's own message", async function () {
        const server = await serve("off", "off");
        try {
            const procs = processGroup(server);
            assert.ok(!procs.some((p) => /huey/i.test(p)), `no huey consumer runs:\n${procs.join("\n")}`);
            const res = await submitJob(server.port);
            assert.notStrictEqual(res.status, 200);
            assert.ok(res.body.includes(OFF_MESSAGE), `the refusal names the feature: ${res.status} ${res.body}`);
            console.log(`      off: ${procs.length} processes`);
        } finally {
            await server.stop();
        }
    });

    it("on: the server runs huey consumers, and stopping it leaves none of them behind", async function () {
        const server = await serve("on", "on");
        const pgid = server.service.proc.pid!;
        let procs: string[] = [];
        try {
            // The job runner starts its consumers a few seconds after the server answers.
            const deadline = Date.now() + 90000;
            do {
                procs = processGroup(server);
                if (procs.some((p) => /huey/i.test(p))) break;
                await new Promise((r) => setTimeout(r, 500));
            } while (Date.now() < deadline);
            assert.ok(procs.some((p) => /huey/i.test(p)), `huey consumers run:\n${procs.join("\n")}`);
            console.log(`      on: ${procs.length} processes`);
        } finally {
            await server.stop();
        }
        assert.throws(() => process.kill(-pgid, 0), "the whole process group is gone");
    });
});
