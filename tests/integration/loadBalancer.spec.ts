// The contract the AWS platform runs behind its load balancer, against a real MLflow: the ALB's
// DNS name passes the Host check, its origin may write, and idle connections stay open longer
// than uvicorn's 5 s default (the balancer's idle timeout must expire first, or it answers 502).
import * as assert from "assert";
import * as http from "http";
import { parseConfig } from "../../components/config/parse";
import { buildServerContract } from "../../components/contract";
import { awsPlatformFacts } from "../../components/platform/aws/policies";
import { localArtifactsContract, sqliteBackendContract } from "../../components/stores/contracts";
import { request, RunningServer, runContract } from "./server";
import { freePort, workDir } from "./services";

const ALB = "mlflow-staging-lb-alb-1234567890.eu-west-1.elb.amazonaws.com";

/** Two requests `pauseMs` apart through a keep-alive agent: was the second sent on the first's connection? */
async function connectionReusedAfter(port: number, pauseMs: number): Promise<boolean> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
        new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
            const req = http.request({ host: "127.0.0.1", port, path: "/health", agent, headers: { Host: ALB } }, (res) => {
                res.resume();
                res.on("end", () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
            });
            req.on("error", reject);
            req.end();
        });
    try {
        assert.strictEqual((await get()).status, 200);
        await new Promise((r) => setTimeout(r, pauseMs));
        const second = await get();
        assert.strictEqual(second.status, 200);
        return second.reused;
    } finally {
        agent.destroy();
    }
}

describe("the AWS contract behind a load balancer, against a real MLflow", function () {
    let server: RunningServer;

    before(async function () {
        this.timeout(180000);
        const { spec } = parseConfig({
            project: "mlflow",
            stack: "staging",
            raw: { platform: "aws", backend: { type: "postgres", mode: "external" }, artifacts: "s3", auth: false },
            secretsSet: new Set(["postgresUrl"] as const),
            providerConfig: { "aws:region": "eu-west-1" },
        });
        const port = await freePort();
        const dataDir = workDir("alb-data");
        // The stores are local stand-ins: this test is about what the platform adds to the contract.
        const contract = buildServerContract({
            spec: { ...spec, workers: 1 },
            backend: sqliteBackendContract({ type: "sqlite", path: "/mlflow/mlflow.db" }),
            artifacts: localArtifactsContract("/mlflow/artifacts", "staging"),
            platform: { ...awsPlatformFacts(spec.aws!, ALB), listenPort: port },
        });
        server = await runContract("alb", contract, { dataDir });
    });

    after(async () => {
        await server?.stop();
    });

    it("accepts the ALB's DNS name as Host and refuses a foreign one", async () => {
        const path = "/api/2.0/mlflow/experiments/search?max_results=1";
        assert.strictEqual((await request(server.port, path, { Host: ALB })).status, 200);
        assert.strictEqual((await request(server.port, path, { Host: "evil.example.com" })).status, 403);
    });

    it("lets the ALB's origin write and refuses another origin", async () => {
        const create = (origin: string, name: string) =>
            new Promise<number>((resolve, reject) => {
                const body = JSON.stringify({ name });
                const headers = { Host: ALB, Origin: origin, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) };
                const req = http.request({ host: "127.0.0.1", port: server.port, path: "/api/2.0/mlflow/experiments/create", method: "POST", headers }, (res) => {
                    res.resume();
                    res.on("end", () => resolve(res.statusCode ?? 0));
                });
                req.on("error", reject);
                req.end(body);
            });
        assert.strictEqual(await create(`http://${ALB}`, "from-the-alb-origin"), 200);
        assert.strictEqual(await create("http://evil.example.com", "from-elsewhere"), 403);
    });

    it("keeps an idle connection open past uvicorn's 5 s default", async function () {
        this.timeout(30000);
        // A server that closed at 5 s would force a new connection (and an ALB would answer 502).
        assert.strictEqual(await connectionReusedAfter(server.port, 7000), true);
    });
});
