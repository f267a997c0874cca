// mlflow:jobRunner: off by default everywhere; on only where the server is one instance that
// stays up; the contract tells MLflow either way; Cloud Run keeps the CPU for it.
import * as assert from "assert";
import { ConfigError } from "../../components/config/problems";
import { parseConfig, ParseInput } from "../../components/config/parse";
import { runProgram, stackFileConfig } from "./harness";

const PROVIDERS = { "aws:region": "eu-west-1", "azure-native:location": "westeurope", "gcp:project": "my-project-1", "gcp:region": "europe-west1" };

function input(stack: string, raw: Record<string, unknown>, secrets: string[] = []): ParseInput {
    return { project: "mlflow", stack, raw, secretsSet: new Set(secrets) as ParseInput["secretsSet"], providerConfig: PROVIDERS };
}

function refusal(stack: string, raw: Record<string, unknown>, secrets: string[] = []): string {
    try {
        parseConfig(input(stack, raw, secrets));
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return e.message;
    }
    assert.fail("expected the configuration to be refused");
}

/** A raw config with a settings key (dotted for nested, e.g. aws.maxCount) set. */
function withSetting(raw: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
    const [head, sub] = key.split(".");
    if (sub === undefined) return { ...raw, [head]: value };
    return { ...raw, [head]: { ...((raw[head] as Record<string, unknown> | undefined) ?? {}), [sub]: value } };
}

const CLOUD = {
    aws: { platform: "aws", backend: { type: "rds" }, artifacts: { type: "s3" } },
    azure: { platform: "azure", backend: { type: "azure-postgres" }, artifacts: { type: "azure-blob" } },
    gcp: { platform: "gcp", backend: { type: "cloudsql" }, artifacts: { type: "gcs" } },
};

describe("mlflow:jobRunner", () => {
    it("is off by default on every stack file, and the contract says so to MLflow", async () => {
        for (const stack of ["dev", "staging", "prod"]) {
            const run = await runProgram(stack, stackFileConfig(stack));
            const text = JSON.stringify(run.resources.map((r) => r.inputs));
            assert.match(text, /MLFLOW_SERVER_ENABLE_JOB_EXECUTION(=|\\",\\"value\\":\\")false/, `${stack}: the server is told the job runner is off`);
            assert.doesNotMatch(text, /MLFLOW_SERVER_ENABLE_JOB_EXECUTION(=|\\",\\"value\\":\\")true/);
        }
    });

    it("on: allowed on Docker, and the server container is told so", async () => {
        assert.strictEqual(parseConfig(input("dev", { jobRunner: "on" })).spec.jobRunner, "on");
        const run = await runProgram("dev", { ...stackFileConfig("dev"), "mlflow:jobRunner": "on" });
        const server = run.byType("docker:index/container:Container").find((c) => String(c.inputs.name).endsWith("-server"))!;
        assert.ok((server.inputs.envs as string[]).includes("MLFLOW_SERVER_ENABLE_JOB_EXECUTION=true"));
    });

    it("on with several instances, or one that scales to zero, is refused on each cloud with fixes that each make the stack parse", () => {
        // Databases with room for the job runner's connections: the jobRunner problem is the only one.
        const roomy = { aws: { type: "rds", instanceClass: "db.m6g.large" }, azure: { type: "azure-postgres", skuName: "Standard_D2ds_v5" }, gcp: { type: "cloudsql", tier: "db-custom-2-7680" } };
        const tls = { domain: "mlflow.example.com", hostedZoneId: "Z0123456789EXAMPLE0" };
        const set = (key: string) => `pulumi config set ${key.includes(".") ? "--path " : ""}mlflow:${key}`;
        // [cloud, stack, settings, the fix: the first command set, then the alternative (if any)]
        const cases: [keyof typeof CLOUD, string, Record<string, unknown>, string[][]][] = [
            ["aws", "staging", { maxCount: 2 }, [["jobRunner dedicated"], ["aws.maxCount 1"]]],
            ["azure", "staging", { minReplicas: 1, maxReplicas: 3 }, [["jobRunner dedicated"], ["azure.maxReplicas 1"]]],
            // Azure staging's defaults (0 to 1 replica): only the minimum needs raising.
            ["azure", "staging", {}, [["azure.minReplicas 1"], ["jobRunner dedicated"]]],
            // Up to two replicas from zero: one instance is both bounds at 1.
            ["azure", "staging", { maxReplicas: 2 }, [["jobRunner dedicated"], ["azure.minReplicas 1", "azure.maxReplicas 1"]]],
            ["azure", "staging", { minReplicas: 0, maxReplicas: 1 }, [["azure.minReplicas 1"], ["jobRunner dedicated"]]],
            ["gcp", "staging", { minInstances: 0, maxInstances: 1 }, [["gcp.minInstances 1"], ["jobRunner dedicated"]]],
            ["gcp", "staging", { minInstances: 0, maxInstances: 3 }, [["jobRunner dedicated"], ["gcp.minInstances 1", "gcp.maxInstances 1"]]],
            ["gcp", "prod", {}, [["jobRunner dedicated"], ["gcp.maxInstances 1"]]],
            // Stacks that keep two instances (prod's defaults on AWS and Azure): a maximum of 1 would
            // fall below the minimum, so dedicated is the fix.
            ["aws", "prod", tls, [["jobRunner dedicated"]]],
            ["azure", "prod", {}, [["jobRunner dedicated"]]],
        ];
        for (const [cloud, stack, settings, alternatives] of cases) {
            const raw = { ...CLOUD[cloud], backend: roomy[cloud], jobRunner: "on", [cloud]: settings };
            const label = `${cloud} ${stack} ${JSON.stringify(settings)}`;
            const m = refusal(stack, raw);
            assert.strictEqual(m.split("\n  - ").length - 1, 1, `${label}: only the jobRunner problem:\n${m}`);
            const line = m.split("\n  - ").find((l) => l.startsWith("mlflow:jobRunner:"));
            assert.ok(line, `${label}: no jobRunner problem in\n${m}`);
            const expected = alternatives.map((commands) => commands.map((c) => `${set(c.split(" ")[0])} ${c.split(" ")[1]} --stack ${stack}`).join(" && "));
            const fix = line.slice(line.indexOf("Fix: ") + "Fix: ".length);
            assert.strictEqual(fix, expected.length === 1 ? expected[0] : `${expected[0]}  (or: ${expected[1]})`, label);
            // Each alternative, applied on its own, gives a stack that parses.
            for (const commands of alternatives) {
                let fixed: Record<string, unknown> = raw;
                for (const c of commands) fixed = withSetting(fixed, c.split(" ")[0], c.split(" ")[1]);
                const spec = parseConfig(input(stack, fixed)).spec;
                assert.strictEqual(spec.jobRunner, commands.includes("jobRunner dedicated") ? "dedicated" : "on", `${label} + ${commands.join(" && ")}`);
            }
        }
    });

    it("on with exactly one instance that stays up is accepted on each cloud, on a database with room for its connections", () => {
        const one = { aws: { desiredCount: 1, minCount: 1, maxCount: 1 }, azure: { minReplicas: 1, maxReplicas: 1 }, gcp: { minInstances: 1, maxInstances: 1 } };
        // The job runner's two processes hold pools of their own (connections.ts): staging's
        // db.t4g.micro (79 usable: 12 × n + 1 leaves 6 per engine, below 8), Standard_B1ms (35) and
        // db-f1-micro (22: 1 per engine, below Cloud Run's 2) leave too small a pool.
        const roomy = { aws: { type: "rds", instanceClass: "db.t4g.small" }, azure: { type: "azure-postgres", skuName: "Standard_B2s" }, gcp: { type: "cloudsql", tier: "db-custom-1-3840" } };
        for (const cloud of ["aws", "azure", "gcp"] as const) {
            assert.strictEqual(parseConfig(input("staging", { ...CLOUD[cloud], backend: roomy[cloud], jobRunner: "on", [cloud]: one[cloud] })).spec.jobRunner, "on", cloud);
        }
        for (const [cloud, key] of [["aws", "backend.instanceClass"], ["azure", "backend.skuName"], ["gcp", "backend.tier"]] as const) {
            const m = refusal("staging", { ...CLOUD[cloud], jobRunner: "on", [cloud]: one[cloud] });
            const line = m.split("\n  - ").find((l) => l.startsWith("mlflow:dbPoolSize:"));
            assert.ok(line, `${cloud}: no dbPoolSize problem in\n${m}`);
            assert.ok(line.includes("pulumi config set mlflow:jobRunner off --stack staging"), line);
            assert.ok(line.includes(`a larger database (mlflow:${key})`), line);
            // Never a fix the stack already has: it runs one worker on one instance.
            assert.ok(!line.includes("mlflow:workers 1") && !line.includes("Instances 1") && !line.includes("Replicas 1") && !line.includes("Count 1"), line);
            // The fix it names works.
            assert.strictEqual(parseConfig(input("staging", { ...CLOUD[cloud], jobRunner: "off", [cloud]: one[cloud] })).spec.jobRunner, "off", cloud);
        }
    });

    it("a bad value names the modes; MLFLOW_SERVER_ENABLE_JOB_EXECUTION in extraEnv points to the key", () => {
        const m = refusal("dev", { jobRunner: "sometimes", extraEnv: { MLFLOW_SERVER_ENABLE_JOB_EXECUTION: "true" } });
        assert.match(m, /mlflow:jobRunner: got "sometimes". Allowed: off \(tracking only\) \| on/);
        assert.match(m, /mlflow:extraEnv.MLFLOW_SERVER_ENABLE_JOB_EXECUTION: MLFLOW_SERVER_ENABLE_JOB_EXECUTION is set by the program. Allowed: use mlflow:jobRunner/);
    });

    it("Cloud Run keeps the CPU allocated between requests only when the job runner is on", async () => {
        const base = { ...stackFileConfig("dev"), "mlflow:platform": "gcp", "gcp:project": "my-project-1", "gcp:region": "europe-west1", "mlflow:backend": { type: "cloudsql" }, "mlflow:artifacts": { type: "gcs" } };
        const cpuIdle = async (extra: Record<string, unknown>) => {
            const run = await runProgram("staging", { ...base, "mlflow:auth": true, ...extra });
            const service = run.one("gcp:cloudrunv2/service:Service");
            return (service.inputs.template as { containers: { resources: { cpuIdle: boolean } }[] }).containers[0].resources.cpuIdle;
        };
        assert.strictEqual(await cpuIdle({}), true);
        // With a database that has room for the job runner's connections (db-f1-micro has not).
        assert.strictEqual(await cpuIdle({ "mlflow:jobRunner": "on", "mlflow:gcp": { minInstances: 1, maxInstances: 1 }, "mlflow:backend": { type: "cloudsql", tier: "db-custom-1-3840" } }), false);
    });
});
