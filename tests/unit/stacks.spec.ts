import * as assert from "assert";
import { dockerStackConfig } from "./fixtures";
import { allStrings, isSecretValue, plainStrings, ProgramRun, runProgram } from "./harness";

const STACKS = ["dev", "staging", "prod"];
const runs: Record<string, ProgramRun> = {};

function containers(run: ProgramRun) {
    return run.byType("docker:index/container:Container");
}

function server(run: ProgramRun) {
    const found = containers(run).find((c) => String(c.inputs.name).endsWith("-server"));
    assert.ok(found, "no MLflow server container");
    return found;
}

function argsOf(run: ProgramRun): string[] {
    return server(run).inputs.command as string[];
}

function envOf(run: ProgramRun): Record<string, string> {
    return Object.fromEntries((server(run).inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

describe("Docker stacks under mocks (dev stack file; staging and prod on Docker)", function () {
    this.timeout(60000);

    before(async () => {
        for (const stack of STACKS) {
            runs[stack] = await runProgram(stack, dockerStackConfig(stack));
        }
    });

    it("dev serves on 5000 with SQLite and local artifacts on the volume, no auth", () => {
        const run = runs.dev;
        const c = server(run);
        assert.deepStrictEqual(c.inputs.ports, [{ internal: 5000, external: 5000, ip: "127.0.0.1" }]);
        assert.deepStrictEqual(c.inputs.volumes, [{ volumeName: "mlflow-dev-data", containerPath: "/mlflow" }]);
        const args = argsOf(run);
        assert.strictEqual(args[args.indexOf("--artifacts-destination") + 1], "/mlflow/artifacts/dev");
        assert.ok(!args.includes("--app-name"));
        assert.strictEqual(run.outputs.url, "http://localhost:5000");
        assert.strictEqual(run.outputs.trackingUriExport, "export MLFLOW_TRACKING_URI=http://localhost:5000");
        assert.deepStrictEqual(run.byType("docker:index/container:Container").map((c) => c.inputs.name), ["mlflow-dev-server", "mlflow-dev-ops"], "dev runs no database container; gc runs in the scheduler container");
        assert.strictEqual(run.outputs.adminPassword, undefined);
    });

    it("staging and prod run PostgreSQL beside MLflow with auth on, on 5001 and 5002", () => {
        for (const [stack, port] of [["staging", 5001], ["prod", 5002]] as const) {
            const run = runs[stack];
            assert.strictEqual((server(run).inputs.ports as { external: number }[])[0].external, port);
            assert.ok(argsOf(run).includes("--app-name"));
            const pg = containers(run).find((c) => String(c.inputs.name).endsWith("-postgres"));
            assert.ok(pg, `${stack}: no PostgreSQL container`);
            assert.ok(!("ports" in pg.inputs) || (pg.inputs.ports as unknown[]).length === 0, "PostgreSQL publishes no host port");
            assert.ok(run.secretOutputs.has("adminPassword"), `${stack}: the generated admin password is a secret output`);
        }
    });

    it("the three stacks never share a port or a resource name", () => {
        const ports = STACKS.map((s) => (server(runs[s]).inputs.ports as { external: number }[])[0].external);
        assert.strictEqual(new Set(ports).size, 3);
        const seen = new Map<string, string>();
        for (const stack of STACKS) {
            for (const r of runs[stack].resources) {
                for (const name of [r.name, r.inputs.name].filter((n): n is string => typeof n === "string")) {
                    // Image references name shared content, not a resource of the stack.
                    if (r.type === "docker:index/remoteImage:RemoteImage" && name === r.inputs.name) continue;
                    const key = `${r.type}:${name}`;
                    const other = seen.get(key);
                    assert.ok(!other || other === stack, `${key} is used by ${other} and ${stack}`);
                    seen.set(key, stack);
                }
            }
        }
    });

    it("every resource is named after project and stack", () => {
        for (const stack of STACKS) {
            for (const r of runs[stack].resources) {
                assert.ok(r.name.startsWith(`mlflow-${stack}`), `${r.type} ${r.name}`);
                if (typeof r.inputs.name === "string" && r.type !== "docker:index/remoteImage:RemoteImage") {
                    assert.ok(r.inputs.name.startsWith(`mlflow-${stack}-`), `${r.type} named ${r.inputs.name}`);
                }
            }
        }
    });

    it("the server binds 0.0.0.0, has a health check on /health and restarts", () => {
        for (const stack of STACKS) {
            const c = server(runs[stack]);
            const args = c.inputs.command as string[];
            assert.strictEqual(args[args.indexOf("--host") + 1], "0.0.0.0");
            assert.strictEqual(c.inputs.restart, "unless-stopped");
            const hc = c.inputs.healthcheck as { tests: string[] };
            assert.deepStrictEqual(hc.tests, ["CMD", "python", "/opt/mlflow-deploy/entrypoint.py", "--healthcheck", "5000"]);
            assert.ok(!args.includes("--default-artifact-root"));
        }
    });

    it("secrets reach the container only as secret files, never in args, env or any plain input", async () => {
        const adminPassword = "Adm1n pass@word:/?#%&";
        const dbPassword = "db p@ss:w/rd?#%& x";
        const run = await runProgram(
            "staging",
            { ...dockerStackConfig("staging"), "mlflow:adminPassword": adminPassword, "mlflow:dbPassword": dbPassword },
            ["mlflow:adminPassword", "mlflow:dbPassword"],
        );
        const secrets = [adminPassword, dbPassword, encodeURIComponent(dbPassword)];
        // Generated secrets (mocked RandomPassword results) must stay secret as well.
        const generated = "generated mlflow-staging-flask-secret-key p@ss:w/o?r#d%&";
        for (const r of run.resources) {
            if (r.type.startsWith("random:")) continue;
            for (const s of plainStrings(r.inputs)) {
                for (const secret of [...secrets, generated]) {
                    assert.ok(!s.includes(secret), `${r.type} ${r.name} shows a secret in a plain input: ${s}`);
                }
            }
        }
        const c = server(run);
        const all = allStrings(c.inputs.uploads);
        assert.ok(all.includes(adminPassword), "the admin password is uploaded as a secret file");
        assert.ok(all.some((s) => s.includes(encodeURIComponent(dbPassword).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`))), "the backend URI carries the encoded DB password");
        assert.ok(isSecretValue(c.inputs.uploads), "the uploads are recorded as a secret");
        const files = (c.inputs.uploads.value as { file: string }[]).map((u) => u.file).sort();
        assert.deepStrictEqual(files, [
            "/run/secrets/mlflow/MLFLOW_AUTH_ADMIN_PASSWORD",
            "/run/secrets/mlflow/MLFLOW_AUTH_DATABASE_URI",
            "/run/secrets/mlflow/MLFLOW_BACKEND_STORE_URI",
            "/run/secrets/mlflow/MLFLOW_FLASK_SERVER_SECRET_KEY",
        ]);
        assert.strictEqual(envOf(run).MLFLOW_SECRETS_DIR, "/run/secrets/mlflow");
        assert.ok(!("MLFLOW_BACKEND_STORE_URI" in envOf(run)));
        assert.strictEqual(run.outputs.adminPassword, adminPassword);
        assert.ok(run.secretOutputs.has("adminPassword"));
    });

    it("prod protects its data volumes", () => {
        const volumes = runs.prod.byType("docker:index/volume:Volume");
        assert.deepStrictEqual(volumes.map((v) => v.inputs.name).sort(), ["mlflow-prod-data", "mlflow-prod-pgdata"]);
    });

    it("a bad configuration registers nothing", async () => {
        await assert.rejects(runProgram("dev", { "mlflow:port": 99999 }), /mlflow:port: got "99999"/);
        // The rejected run must not have registered a single resource.
        let registered = 0;
        const pulumi = await import("@pulumi/pulumi");
        await pulumi.runtime.setMocks({ newResource: (a) => { registered++; return { id: "x", state: a.inputs }; }, call: () => ({}) }, "mlflow", "dev", false);
        pulumi.runtime.setAllConfig({ "mlflow:backend": JSON.stringify({ type: "rds" }) }, []);
        const { loadConfig } = await import("../../components/config/load");
        assert.throws(() => loadConfig(), /rds on platform docker/);
        assert.strictEqual(registered, 0);
    });
});

describe("secrets are Output secrets", function () {
    this.timeout(60000);

    it("the backend URI, admin password and Flask key are secret Outputs in the contract", async () => {
        const pulumi = await import("@pulumi/pulumi");
        await runProgram("staging", dockerStackConfig("staging"));
        const { parseConfig } = await import("../../components/config/parse");
        const { Deployment } = await import("../../components/deployment");
        const { spec } = parseConfig({ project: "mlflow", stack: "staging", raw: { backend: { type: "postgres", mode: "container" } }, secretsSet: new Set() });
        const d = new Deployment("secret-check", { spec, secrets: {} });
        for (const name of ["MLFLOW_BACKEND_STORE_URI", "MLFLOW_AUTH_ADMIN_PASSWORD", "MLFLOW_FLASK_SERVER_SECRET_KEY", "MLFLOW_AUTH_DATABASE_URI"]) {
            const value = d.contract.secretEnv[name];
            assert.ok(value !== undefined, name);
            assert.ok(await pulumi.isSecret(pulumi.output(value)), `${name} must be a secret Output`);
        }
        assert.ok(await pulumi.isSecret(d.adminPassword!));
        assert.ok(!(await pulumi.isSecret(d.url)), "the URL is a plain output");
    });
});
