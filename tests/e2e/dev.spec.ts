// The README's main command through a real Pulumi engine and a real Docker engine: `npm run dev`,
// clean re-runs, the real MLflow client through the published port, a crash and restart, a
// replacement that keeps the data, and an image change that the container follows.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as net from "net";
import { containerState, docker } from "./harness/docker";
import { logRun, verifyRun, waitHealthy } from "./harness/mlflow";
import { assertQuiet } from "./harness/stack";
import { record, stackFor, suite } from "./suite";

/** A free port outside the stacks' defaults (5000-5002), so a developer's own dev stack is never hit. */
/**
 * A free port for the dev stack, below Linux's ephemeral range (32768-60999). A port the kernel
 * hands out itself is free only until an outgoing connection (the engine's gRPC, dockerd's own)
 * takes it, and Docker then fails to publish it: "address already in use".
 */
export async function testPort(): Promise<number> {
    for (let attempt = 0; attempt < 200; attempt++) {
        const port = 20000 + Math.floor(Math.random() * 10000);
        if (await isFree(port)) return port;
    }
    throw new Error("no free port between 20000 and 29999");
}

function isFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.once("error", () => resolve(false));
        server.listen(port, "0.0.0.0", () => server.close(() => resolve(true)));
    });
}

/** Steps of a `pulumi preview --json`, except those that change nothing. */
export function changedSteps(json: string): { op: string; type: string }[] {
    const plan = JSON.parse(json) as { steps?: { op: string; urn: string }[] };
    return (plan.steps ?? []).filter((s) => s.op !== "same" && s.op !== "read").map((s) => ({ op: s.op, type: s.urn.split("::")[2].split("$").pop()! }));
}

describe("dev stack: npm run dev, as the README documents it", function () {
    const s = suite();
    const dev = stackFor("dev");
    let url = "";
    let devEnv: NodeJS.ProcessEnv = {};
    const runState = path.join(s.ws.root, "dev-run.json");
    const serverName = () => `${s.prefix}dev-server`;

    it("npm run dev -- --yes creates the stack and serves MLflow on the published port", async function () {
        const port = await testPort();
        devEnv = { MLFLOW_DEV_STACK: dev.name, MLFLOW_DEV_STATE: dev.state, MLFLOW_DEV_PORT: String(port), PULUMI_CONFIG_PASSPHRASE_FILE: dev.passphraseFile };
        dev.created = true;
        const result = await s.ws.run("npm", ["run", "dev", "--", "--yes"], { env: devEnv });
        url = await dev.output("url");
        assertQuiet(result);
        assert.strictEqual(url, `http://localhost:${port}`);
        assert.match(result.output.trim().split("\n").pop()!, new RegExp(`^export MLFLOW_TRACKING_URI=http://localhost:${port}$`));
        await waitHealthy(url);
        await record(dev);
        console.log(`      npm run dev: ${result.seconds.toFixed(0)} s`);
    });

    it("a preview right after shows no change, and a second up changes nothing", async function () {
        await dev.assertCleanRerun();
    });

    it("npm run dev again, on the existing stack, changes nothing and prints nothing to act on", async function () {
        const result = await s.ws.run("npm", ["run", "dev", "--", "--yes"], { env: devEnv });
        assertQuiet(result);
        assert.match(result.output, /Resources:\s+\d+ unchanged\s*\n\s*\nDuration/, result.output);
        console.log(`      npm run dev, nothing to change: ${result.seconds.toFixed(0)} s`);
    });

    it("the real MLflow client logs a run with a 5 MB artifact and reads it back byte-identical (proxied)", async function () {
        await logRun(url, runState);
        await verifyRun(url, runState);
    });

    it("a crashed server (its process killed) is restarted by the restart policy, with the data", async function () {
        const before = containerState(serverName());
        const pid = docker(["inspect", "-f", "{{.State.Pid}}", serverName()]);
        process.kill(Number(pid), "SIGKILL");
        const deadline = Date.now() + 120000;
        while (containerState(serverName()).restartCount === before.restartCount && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 500));
        }
        const after = containerState(serverName());
        assert.strictEqual(after.restartCount, before.restartCount + 1, "Docker restarted the container once");
        assert.strictEqual(after.id, before.id, "the same container, not a new one");
        await waitHealthy(url);
        await verifyRun(url, runState);
    });

    it("docker kill is an operator's stop: Docker leaves it stopped, and `pulumi up --refresh` brings it back with the data", async function () {
        docker(["kill", serverName()]);
        await new Promise((r) => setTimeout(r, 3000));
        assert.notStrictEqual(containerState(serverName()).status, "running");
        const result = await dev.pulumi(["up", "--yes", "--refresh", "--skip-preview"]);
        assertQuiet(result);
        await waitHealthy(url);
        await verifyRun(url, runState);
        await dev.assertCleanRerun();
        await record(dev);
    });

    it("a change that replaces the container (mlflow:workers) keeps every run and artifact on the volume", async function () {
        const before = containerState(serverName());
        await dev.configSet("mlflow:workers", "1");
        await dev.upClean();
        const after = containerState(serverName());
        assert.notStrictEqual(after.id, before.id, "the container was replaced");
        await waitHealthy(url);
        await verifyRun(url, runState);
        await record(dev);
    });

    it("editing a file of components/image changes the image and the containers that run it (server, scheduler), nothing else; the server runs the new build", async function () {
        const entrypoint = path.join(s.ws.project, "components", "image", "entrypoint.py");
        fs.appendFileSync(entrypoint, "\n# e2e: an edit of the image context\n");
        const preview = await dev.pulumi(["preview", "--json"]);
        const changed = changedSteps(preview.output);
        assert.deepStrictEqual([...new Set(changed.map((c) => c.type))].sort(), ["docker:index/container:Container", "docker:index/image:Image"], JSON.stringify(changed));
        assert.ok(changed.some((c) => c.type === "docker:index/container:Container" && /replace/.test(c.op)), `the container is replaced: ${JSON.stringify(changed)}`);

        const before = containerState(serverName());
        await dev.upClean();
        const imageOfContainer = docker(["inspect", "-f", "{{.Image}}", serverName()]);
        const tag = docker(["inspect", "-f", "{{.Config.Image}}", serverName()]);
        assert.notStrictEqual(containerState(serverName()).id, before.id, "the container was replaced");
        assert.strictEqual(tag, imageOfContainer, "the container runs the built image by its ID");
        const built = JSON.parse((await dev.pulumi(["stack", "export"], { reveals: true })).output) as { deployment: { resources: { type: string; outputs?: { repoDigest?: string } }[] } };
        const image = built.deployment.resources.find((r) => r.type === "docker:index/image:Image");
        assert.strictEqual(image?.outputs?.repoDigest, imageOfContainer, "the container runs the image the stack just built");
        await waitHealthy(url);
        await verifyRun(url, runState);
        await record(dev);
    });
});
