// mlflow:jobRunner "dedicated": web servers that only submit jobs, and one job-runner instance
// beside them that runs every job and the periodic tasks. The environment per mode and role, the
// configurations refused, the contract of each role, and the Docker platform's second container.
import * as assert from "assert";
import { JOB_RUNNER_MODES, jobRunnerEnv, JobRunnerMode, ServerRole } from "../../components/config/jobRunner";
import { OWNED_ENV } from "../../components/config/owned";
import { parseConfig, ParseInput, SecretKey } from "../../components/config/parse";
import { Platform, PLATFORMS } from "../../components/config/spec";
import { buildServerContract, ContractInput, JOB_CALLBACK_HOST } from "../../components/contract";
import { dockerPlatformFacts } from "../../components/platform/docker/platform";
import { localArtifactsContract, postgresBackendContract } from "../../components/stores/contracts";
import { dockerStackConfig, refusal } from "./fixtures";
import { allStrings, isSecretValue, plainStrings, ProgramRun, RegisteredResource, runProgram } from "./harness";

const PROVIDERS = { "aws:region": "eu-west-1", "azure-native:location": "westeurope", "gcp:project": "my-project-1", "gcp:region": "europe-west1" };

function input(stack: string, raw: Record<string, unknown>, secrets: Partial<Record<SecretKey, string>> = {}): ParseInput {
    return { project: "mlflow", stack, raw, secretsSet: new Set(Object.keys(secrets) as SecretKey[]), secretValues: secrets, providerConfig: PROVIDERS };
}


function problemLine(message: string, key: string): string {
    const line = message.split("\n  - ").find((l) => l.startsWith(`${key}:`));
    assert.ok(line, `no problem for ${key} in:\n${message}`);
    assert.match(line, /Allowed: .*\n {4}Fix: pulumi config (set|rm) /s);
    return line;
}

function argValue(args: unknown[], flag: string): string | undefined {
    const i = args.indexOf(flag);
    return i === -1 ? undefined : String(args[i + 1]);
}

const SUBMIT_ONLY = "MLFLOW_DEPLOY_SUBMIT_JOBS_ONLY";
const PERIODIC = "MLFLOW_SERVER_JOB_ENABLE_PERIODIC_TASKS";
const ENGINE = "MLFLOW_SERVER_JOB_EXECUTION_ENGINE";
const ENABLED = "MLFLOW_SERVER_ENABLE_JOB_EXECUTION";

describe("jobRunner dedicated: the environment of each mode and role", () => {
    const ROLES: ServerRole[] = ["server", "web", "job-runner"];

    it("off and on are the same for every role: MLflow's switch, nothing else", () => {
        for (const role of ROLES) {
            assert.deepStrictEqual(jobRunnerEnv("off", role), { [ENABLED]: "false" }, role);
            assert.deepStrictEqual(jobRunnerEnv("on", role), { [ENABLED]: "true" }, role);
        }
    });

    it("dedicated web: submits jobs to the database, runs none, and no periodic tasks", () => {
        assert.deepStrictEqual(jobRunnerEnv("dedicated", "web"), { [ENABLED]: "true", [ENGINE]: "executor", [PERIODIC]: "false", [SUBMIT_ONLY]: "true" });
    });

    it("dedicated job-runner: the executor engine, and the periodic tasks on this one instance", () => {
        assert.deepStrictEqual(jobRunnerEnv("dedicated", "job-runner"), { [ENABLED]: "true", [ENGINE]: "executor", [PERIODIC]: "true" });
        assert.ok(!(SUBMIT_ONLY in jobRunnerEnv("dedicated", "job-runner")), "the job runner runs the jobs");
    });

    it("dedicated without a role runs like a web server: never a second runner of the periodic tasks", () => {
        assert.deepStrictEqual(jobRunnerEnv("dedicated", "server"), jobRunnerEnv("dedicated", "web"));
    });

    it("exactly one role of each mode runs the periodic tasks, and the program owns every variable", () => {
        for (const mode of JOB_RUNNER_MODES) {
            for (const role of ROLES) {
                for (const name of Object.keys(jobRunnerEnv(mode, role))) {
                    assert.ok(name in OWNED_ENV, `${name} (${mode}/${role}) can be overridden by mlflow:extraEnv`);
                }
            }
        }
        const periodic = ROLES.filter((r) => jobRunnerEnv("dedicated", r)[PERIODIC] === "true");
        assert.deepStrictEqual(periodic, ["job-runner"]);
        const m = refusal(input("staging", { backend: { type: "postgres", mode: "container" }, extraEnv: { [SUBMIT_ONLY]: "false", [PERIODIC]: "true", [ENGINE]: "huey" } }));
        for (const name of [SUBMIT_ONLY, PERIODIC, ENGINE]) {
            assert.ok(problemLine(m, `mlflow:extraEnv.${name}`).includes("use mlflow:jobRunner"), name);
        }
    });
});

describe("jobRunner dedicated: configuration", () => {
    const POSTGRES = { type: "postgres", mode: "container" };

    it("is a mode of mlflow:jobRunner, accepted on Docker with PostgreSQL (container or external)", () => {
        assert.deepStrictEqual([...JOB_RUNNER_MODES], ["off", "on", "dedicated"]);
        assert.strictEqual(parseConfig(input("staging", { backend: POSTGRES, jobRunner: "dedicated" })).spec.jobRunner, "dedicated");
        const external = parseConfig(input("staging", { backend: { type: "postgres", mode: "external" }, jobRunner: "dedicated" }, { postgresUrl: "postgresql://mlflow:pw@db.example.com:5432/mlflow" })).spec;
        assert.strictEqual(external.jobRunner, "dedicated");
    });

    it("with SQLite is refused: the fix is on, which runs the jobs in the one container", () => {
        for (const raw of [{ jobRunner: "dedicated" }, { jobRunner: "dedicated", backend: { type: "sqlite" } }]) {
            const line = problemLine(refusal(input("dev", raw)), "mlflow:jobRunner");
            assert.ok(line.startsWith("mlflow:jobRunner: dedicated with SQLite. Allowed: dedicated needs a PostgreSQL backend"), line);
            assert.ok(line.endsWith("Fix: pulumi config set mlflow:jobRunner on --stack dev"), line);
        }
        // The fix works.
        assert.strictEqual(parseConfig(input("dev", { jobRunner: "on" })).spec.jobRunner, "on");
    });

    // Every platform runs the job-runner instance: Docker a second container, AWS an ECS service of
    // one task, Azure a Container App of one replica, GCP a Cloud Run service of one instance.
    const CLOUD: Record<Exclude<Platform, "docker">, { raw: Record<string, unknown>; bounds: Record<string, unknown>[] }> = {
        aws: {
            raw: { platform: "aws", backend: { type: "rds", instanceClass: "db.m6g.large" }, artifacts: { type: "s3" } },
            bounds: [{}, { minCount: 1, maxCount: 3 }, { desiredCount: 2, minCount: 2, maxCount: 4 }],
        },
        azure: {
            raw: { platform: "azure", backend: { type: "azure-postgres", skuName: "Standard_D2ds_v5" }, artifacts: { type: "azure-blob" } },
            bounds: [{}, { minReplicas: 0, maxReplicas: 3 }, { minReplicas: 2, maxReplicas: 4 }],
        },
        gcp: {
            raw: { platform: "gcp", backend: { type: "cloudsql", tier: "db-custom-2-7680" }, artifacts: { type: "gcs" } },
            bounds: [{}, { minInstances: 0, maxInstances: 3 }, { minInstances: 2, maxInstances: 4 }],
        },
    };

    it("every platform is covered: Docker above, each cloud below", () => {
        assert.deepStrictEqual([...PLATFORMS].sort(), ["docker", ...Object.keys(CLOUD)].sort());
    });

    for (const cloud of ["aws", "azure", "gcp"] as const) {
        it(`on ${cloud}: accepted with any number of web replicas (scaling to zero too), on a database with room for it`, () => {
            for (const bounds of CLOUD[cloud].bounds) {
                const { spec } = parseConfig(input("staging", { ...CLOUD[cloud].raw, jobRunner: "dedicated", [cloud]: bounds }));
                assert.strictEqual(spec.jobRunner, "dedicated", `${cloud} ${JSON.stringify(bounds)}`);
                // The web replicas keep their own bounds: dedicated pins nothing of theirs.
                const settings = spec[cloud] as unknown as Record<string, unknown>;
                for (const [k, v] of Object.entries(bounds)) assert.strictEqual(settings[k], v, `${cloud} ${k}`);
            }
        });
    }

    it("the job runner's connections count against the database: Docker prod's 4 workers leave too small a pool, with a fix", () => {
        // PostgreSQL container: 197 usable (max_connections 200). (4 workers + the job runner's 3 processes)
        // × 4 engines × n + 2 leaves n = 6, below 8; 3 workers leave 8 (24 × 8 + 2 = 194).
        const config = Object.fromEntries(Object.entries(dockerStackConfig("prod")).map(([k, v]) => [k.replace(/^mlflow:/, ""), v]));
        const m = refusal(input("prod", { ...config, jobRunner: "dedicated" }));
        const line = problemLine(m, "mlflow:dbPoolSize");
        assert.ok(line.includes("room for 6 connections per engine"), line);
        assert.ok(line.includes("the job runner (dedicated)"), line);
        assert.ok(line.includes("within 197 connections"), line);
        assert.ok(line.includes("pulumi config set mlflow:workers 3 --stack prod"), line);
        assert.ok(line.includes("pulumi config set mlflow:jobRunner off --stack prod"), line);
        assert.ok(!line.includes("a larger database"), "the PostgreSQL container has no size setting");
        const fixed = parseConfig(input("prod", { ...config, jobRunner: "dedicated", workers: 3 })).spec;
        assert.strictEqual(fixed.jobRunner, "dedicated");
        assert.deepStrictEqual(fixed.dbPool, { size: 3, maxOverflow: 5 });
        assert.strictEqual(parseConfig(input("prod", { ...config, jobRunner: "off" })).spec.jobRunner, "off");
    });
});

describe("jobRunner dedicated: the contract of each role", () => {
    const spec = parseConfig(input("staging", { backend: { type: "postgres", mode: "container" }, jobRunner: "dedicated", workers: 2, allowedHosts: ["mlflow.example.com"] })).spec;
    const base: Omit<ContractInput, "role"> = {
        spec,
        backend: postgresBackendContract({ host: "mlflow-staging-postgres", port: 5432, user: "mlflow", password: "pw", database: "mlflow", authDatabase: "mlflow_auth" }),
        artifacts: localArtifactsContract("/mlflow/artifacts", "staging"),
        platform: dockerPlatformFacts(spec),
        auth: { adminPassword: "admin-pw", flaskSecretKey: "flask-key" },
    };
    const web = buildServerContract({ ...base, role: "web" });
    const runner = buildServerContract({ ...base, role: "job-runner" });
    const hosts = (args: unknown[]) => argValue(args, "--allowed-hosts")!.split(",");

    it("web: the configured workers, submit-only environment, no 0.0.0.0 in the allowed hosts", () => {
        assert.strictEqual(argValue(web.args, "--workers"), "2");
        for (const [k, v] of Object.entries(jobRunnerEnv("dedicated", "web"))) assert.strictEqual(web.env[k], v, k);
        assert.ok(!hosts(web.args).some((h) => h.startsWith(`${JOB_CALLBACK_HOST}`)), hosts(web.args).join(","));
        assert.ok(hosts(web.args).includes("mlflow.example.com"));
    });

    it("job-runner: one worker, periodic tasks, and 0.0.0.0 allowed for the job runner's calls to its own server", () => {
        assert.strictEqual(argValue(runner.args, "--workers"), "1");
        assert.deepStrictEqual(Object.fromEntries(Object.keys(jobRunnerEnv("dedicated", "job-runner")).map((k) => [k, runner.env[k]])), jobRunnerEnv("dedicated", "job-runner"));
        assert.ok(!(SUBMIT_ONLY in runner.env));
        assert.strictEqual(JOB_CALLBACK_HOST, "0.0.0.0");
        assert.ok(hosts(runner.args).includes("0.0.0.0") && hosts(runner.args).includes("0.0.0.0:*"), hosts(runner.args).join(","));
    });

    it("both: the same image, stores, secrets, pool, auth; only workers, hosts and the job variables differ", () => {
        assert.deepStrictEqual(runner.image, web.image);
        assert.deepStrictEqual(runner.secretEnv, web.secretEnv);
        const strip = (args: unknown[]) => args.map((a, i) => (args[i - 1] === "--workers" || args[i - 1] === "--allowed-hosts" ? "<varies>" : a));
        assert.deepStrictEqual(strip(runner.args), strip(web.args));
        const jobVars = new Set([SUBMIT_ONLY, PERIODIC, ENGINE, ENABLED]);
        const rest = (env: Record<string, unknown>) => Object.fromEntries(Object.entries(env).filter(([k]) => !jobVars.has(k)));
        assert.deepStrictEqual(rest(runner.env), rest(web.env));
        for (const c of [web, runner]) {
            assert.strictEqual(c.env.MLFLOW_SQLALCHEMYSTORE_POOL_SIZE, String(spec.dbPool.size));
            assert.strictEqual(c.env.MLFLOW_AUTH_CACHE_TTL_SECONDS, "60");
            assert.strictEqual(argValue(c.args, "--app-name"), "basic-auth");
            assert.strictEqual(argValue(c.args, "--host"), "0.0.0.0");
        }
    });

    it("0.0.0.0 is an allowed host only where the server runs jobs: on, or the job-runner role", () => {
        const contractFor = (mode: JobRunnerMode, role?: ServerRole) => {
            const s = { ...spec, jobRunner: mode };
            return buildServerContract({ ...base, spec: s, platform: dockerPlatformFacts(s), role });
        };
        const cases: [JobRunnerMode, ServerRole | undefined, boolean][] = [
            ["off", undefined, false],
            ["on", undefined, true],
            ["on", "server", true],
            ["dedicated", "web", false],
            ["dedicated", "job-runner", true],
            ["dedicated", undefined, false],
        ];
        for (const [mode, role, allowed] of cases) {
            const h = hosts(contractFor(mode, role).args);
            assert.strictEqual(h.includes("0.0.0.0"), allowed, `${mode}/${role ?? "(no role)"}: ${h.join(",")}`);
        }
        // Without a role a server runs its configured workers; only the job runner is pinned to one.
        assert.strictEqual(argValue(contractFor("on").args, "--workers"), "2");
    });
});

describe("jobRunner dedicated: the Docker platform under mocks", function () {
    this.timeout(120000);
    const ADMIN_PASSWORD = "Ded1cated admin:/?#%&";
    const DB_PASSWORD = "ded db p@ss:w/rd?#%& x";
    const runs: Partial<Record<JobRunnerMode, ProgramRun>> = {};

    function mlflowContainers(run: ProgramRun): RegisteredResource[] {
        // Not the database, nor the scheduler of gc and backups.
        return run.byType("docker:index/container:Container").filter((c) => !/-(postgres|ops)$/.test(String(c.inputs.name)));
    }
    function named(run: ProgramRun, name: string): RegisteredResource {
        const found = run.byType("docker:index/container:Container").filter((c) => c.inputs.name === name);
        assert.strictEqual(found.length, 1, `${name}: ${found.length} containers`);
        return found[0];
    }
    function envOf(c: RegisteredResource): Record<string, string> {
        return Object.fromEntries((c.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
    }
    const uploadFiles = (c: RegisteredResource) => (c.inputs.uploads as { value: { file: string }[] }).value.map((u) => u.file).sort();

    before(async () => {
        for (const mode of JOB_RUNNER_MODES) {
            runs[mode] = await runProgram(
                "staging",
                { ...dockerStackConfig("staging"), "mlflow:jobRunner": mode, "mlflow:adminPassword": ADMIN_PASSWORD, "mlflow:dbPassword": DB_PASSWORD },
                ["mlflow:adminPassword", "mlflow:dbPassword"],
            );
        }
    });

    it("off and on: one MLflow container", () => {
        for (const mode of ["off", "on"] as const) {
            assert.deepStrictEqual(mlflowContainers(runs[mode]!).map((c) => c.inputs.name), ["mlflow-staging-server"], mode);
        }
    });

    it("dedicated: a second container <prefix>-jobs beside the server, publishing no port", () => {
        const run = runs.dedicated!;
        assert.deepStrictEqual(mlflowContainers(run).map((c) => c.inputs.name).sort(), ["mlflow-staging-jobs", "mlflow-staging-server"]);
        const jobs = named(run, "mlflow-staging-jobs");
        const server = named(run, "mlflow-staging-server");
        assert.deepStrictEqual(jobs.inputs.ports ?? [], [], "the job runner is not published");
        assert.deepStrictEqual(server.inputs.ports, [{ internal: 5000, external: 5001, ip: "127.0.0.1" }]);
        assert.ok(jobs.name.startsWith("mlflow-staging") && jobs.name.endsWith("-jobs"), jobs.name);
        assert.strictEqual(jobs.inputs.restart, "unless-stopped");
        assert.deepStrictEqual(jobs.inputs.healthcheck, server.inputs.healthcheck);
    });

    it("dedicated: the same image, network and data volume as the server; the job runner is reachable by its name", () => {
        const run = runs.dedicated!;
        const jobs = named(run, "mlflow-staging-jobs");
        const server = named(run, "mlflow-staging-server");
        assert.ok(typeof jobs.inputs.image === "string" && jobs.inputs.image.length > 0);
        assert.strictEqual(jobs.inputs.image, server.inputs.image);
        assert.deepStrictEqual(jobs.inputs.volumes, server.inputs.volumes);
        assert.deepStrictEqual(jobs.inputs.volumes, [{ volumeName: "mlflow-staging-data", containerPath: "/mlflow" }]);
        const nets = (c: RegisteredResource) => (c.inputs.networksAdvanced as { name: string; aliases: string[] }[]).map((n) => n.name);
        assert.deepStrictEqual(nets(jobs), nets(server));
        assert.deepStrictEqual(nets(jobs), ["mlflow-staging-net"]);
        assert.deepStrictEqual((jobs.inputs.networksAdvanced as { aliases: string[] }[])[0].aliases, ["mlflow-staging-jobs"]);
        // The PostgreSQL container is on that network too, so both reach the database.
        const pg = named(run, "mlflow-staging-postgres");
        assert.ok(JSON.stringify(pg.inputs.networksAdvanced).includes("mlflow-staging-net"));
        // One image build for both.
        assert.strictEqual(run.byType("docker:index/image:Image").length, 1);
    });

    it("dedicated: each container gets its role's command and environment", () => {
        const run = runs.dedicated!;
        const jobs = named(run, "mlflow-staging-jobs");
        const server = named(run, "mlflow-staging-server");
        assert.strictEqual(argValue(jobs.inputs.command as string[], "--workers"), "1");
        assert.strictEqual(argValue(server.inputs.command as string[], "--workers"), "2");
        for (const [k, v] of Object.entries(jobRunnerEnv("dedicated", "job-runner"))) assert.strictEqual(envOf(jobs)[k], v, `jobs ${k}`);
        for (const [k, v] of Object.entries(jobRunnerEnv("dedicated", "web"))) assert.strictEqual(envOf(server)[k], v, `server ${k}`);
        assert.ok(!(SUBMIT_ONLY in envOf(jobs)));
        assert.ok(argValue(jobs.inputs.command as string[], "--allowed-hosts")!.split(",").includes("0.0.0.0"));
        assert.ok(!argValue(server.inputs.command as string[], "--allowed-hosts")!.split(",").includes("0.0.0.0"));
    });

    it("dedicated: the job runner's secrets are uploaded as secret files, never in its env, command or any plain input", () => {
        const run = runs.dedicated!;
        const jobs = named(run, "mlflow-staging-jobs");
        const server = named(run, "mlflow-staging-server");
        assert.ok(isSecretValue(jobs.inputs.uploads), "the uploads are recorded as a secret");
        assert.deepStrictEqual(uploadFiles(jobs), [
            "/run/secrets/mlflow/MLFLOW_AUTH_ADMIN_PASSWORD",
            "/run/secrets/mlflow/MLFLOW_AUTH_DATABASE_URI",
            "/run/secrets/mlflow/MLFLOW_BACKEND_STORE_URI",
            "/run/secrets/mlflow/MLFLOW_FLASK_SERVER_SECRET_KEY",
        ]);
        assert.deepStrictEqual(uploadFiles(jobs), uploadFiles(server));
        const all = allStrings(jobs.inputs.uploads);
        assert.ok(all.includes(ADMIN_PASSWORD), "the admin password is uploaded");
        assert.ok(all.some((s) => s.startsWith("postgresql+psycopg2://") && s.includes("@mlflow-staging-postgres:5432/mlflow")), "the backend URI is uploaded");
        assert.strictEqual(envOf(jobs).MLFLOW_SECRETS_DIR, "/run/secrets/mlflow");
        for (const name of ["MLFLOW_BACKEND_STORE_URI", "MLFLOW_AUTH_ADMIN_PASSWORD", "MLFLOW_FLASK_SERVER_SECRET_KEY", "MLFLOW_AUTH_DATABASE_URI"]) {
            assert.ok(!(name in envOf(jobs)), `${name} in the job runner's env`);
        }
        const secrets = [ADMIN_PASSWORD, DB_PASSWORD, encodeURIComponent(DB_PASSWORD), "generated mlflow-staging-flask-secret-key"];
        for (const r of run.resources) {
            if (r.type.startsWith("random:")) continue;
            for (const s of plainStrings(r.inputs)) {
                for (const secret of secrets) assert.ok(!s.includes(secret), `${r.type} ${r.name} shows a secret in a plain input: ${s}`);
            }
        }
    });

    it("dedicated with SQLite registers nothing: the configuration is refused first", async () => {
        await assert.rejects(runProgram("dev", { ...dockerStackConfig("dev"), "mlflow:jobRunner": "dedicated" }), /mlflow:jobRunner: dedicated with SQLite/);
    });
});
