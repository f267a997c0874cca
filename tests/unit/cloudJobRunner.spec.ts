// mlflow:jobRunner "dedicated" on AWS, Azure and GCP under Pulumi mocks: beside the web servers,
// exactly one more MLflow service (an ECS service of one task, a Container App of one replica
// without ingress, a Cloud Run service of one internal instance), from the same image, identity and
// secrets; the web servers unchanged but for the job variables (and the pool, sized for the job
// runner's connections too); no secret in plain sight; and the connection budget of each stack.
import * as assert from "assert";
import { defaultFargateMemory } from "../../components/config/aws";
import { defaultContainerAppsCpu } from "../../components/config/azure";
import { MIN_CAPPED_POOL_CONNECTIONS, MIN_POOL_CONNECTIONS, minPool, peakConnections, requestCap } from "../../components/config/connections";
import { connectionLimit } from "../../components/config/dbLimits";
import { footprintMiB } from "../../components/config/footprint";
import { defaultCloudRunMemory } from "../../components/config/gcp";
import { JOB_RUNNER_MODES, jobRunnerEnv, JobRunnerMode } from "../../components/config/jobRunner";
import { parseConfig, ParseInput } from "../../components/config/parse";
import { DeploymentSpec } from "../../components/config/spec";
import { azureNames } from "../../components/platform/azure/facts";
import { gcpNames } from "../../components/platform/gcp/facts";
import { allStrings, plainStrings, ProgramRun, RegisteredResource, runProgram, stackFileConfig } from "./harness";
import { refusal } from "./fixtures";

type Cloud = "aws" | "azure" | "gcp";
type Stack = "staging" | "prod";
type Config = Record<string, unknown>;
const CLOUDS: Cloud[] = ["aws", "azure", "gcp"];
const STACKS: Stack[] = ["staging", "prod"];

const ADMIN_PASSWORD = "J0b-runner admin:/?#%&";
const DB_PASSWORD = "j0b-db p@ss:w/rd?#%& x";
const SECRET_KEYS = ["mlflow:adminPassword", "mlflow:dbPassword"];

const SECRET_ENV = ["MLFLOW_AUTH_ADMIN_PASSWORD", "MLFLOW_AUTH_DATABASE_URI", "MLFLOW_BACKEND_STORE_URI", "MLFLOW_FLASK_SERVER_SECRET_KEY"];
/** Every variable jobRunnerEnv sets, in any mode and role. */
const JOB_VARS = ["MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "MLFLOW_SERVER_JOB_EXECUTION_ENGINE", "MLFLOW_SERVER_JOB_ENABLE_PERIODIC_TASKS", "MLFLOW_DEPLOY_SUBMIT_JOBS_ONLY"];
/** The pool is sized for the demand, and the job runner's connections are part of it. */
const POOL_VARS = ["MLFLOW_SQLALCHEMYSTORE_POOL_SIZE", "MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW"];

const PROVIDERS: Record<Cloud, Config> = {
    aws: {},
    azure: { "azure-native:location": "westeurope" },
    gcp: { "gcp:project": "acme-ml-123", "gcp:region": "europe-west1" },
};

/** The stack on each cloud: AWS from the project's stack files, Azure and GCP with every setting at its default. */
function stackConfig(cloud: Cloud, stack: Stack): Config {
    const secrets = { "mlflow:adminPassword": ADMIN_PASSWORD, "mlflow:dbPassword": DB_PASSWORD };
    switch (cloud) {
        case "aws":
            return { ...stackFileConfig(stack), ...secrets };
        case "azure":
            return { ...PROVIDERS.azure, "mlflow:platform": "azure", "mlflow:backend": { type: "azure-postgres" }, "mlflow:artifacts": { type: "azure-blob" }, ...secrets };
        case "gcp":
            return { ...PROVIDERS.gcp, "mlflow:platform": "gcp", "mlflow:backend": { type: "cloudsql" }, "mlflow:artifacts": { type: "gcs" }, ...secrets };
    }
}

/**
 * The database the dedicated runs use: the stack's own where its connections leave the job runner
 * room (Azure prod's Standard_D2ds_v5, GCP prod's db-custom-1-3840 as Cloud Run caps each
 * instance's requests), the next size up where they do not (tested below: staging everywhere, and
 * AWS prod's db.t4g.small).
 */
function roomyBackend(cloud: Cloud, stack: Stack, config: Config): Config {
    const backend = config["mlflow:backend"] as Config;
    if (cloud === "aws") return { ...backend, instanceClass: stack === "prod" ? "db.t4g.medium" : "db.t4g.small" };
    if (cloud === "azure") return stack === "prod" ? backend : { ...backend, skuName: "Standard_B2s" };
    return stack === "prod" ? backend : { ...backend, tier: "db-custom-1-3840" };
}

/** Settings that make the web servers one instance that stays up (what jobRunner on needs). */
const ONE_INSTANCE: Record<Cloud, Config> = {
    aws: { desiredCount: 1, minCount: 1, maxCount: 1 },
    azure: { minReplicas: 1, maxReplicas: 1 },
    gcp: { minInstances: 1, maxInstances: 1 },
};

function runConfig(cloud: Cloud, stack: Stack, mode: JobRunnerMode): Config {
    const base = stackConfig(cloud, stack);
    const config: Config = { ...base, "mlflow:backend": roomyBackend(cloud, stack, base), "mlflow:jobRunner": mode };
    if (mode === "on") config[`mlflow:${cloud}`] = { ...((base[`mlflow:${cloud}`] as Config | undefined) ?? {}), ...ONE_INSTANCE[cloud] };
    return config;
}

/** A full config (as `pulumi config` holds it) as parseConfig's input. */
function parseInput(stack: string, config: Config): ParseInput {
    const raw: Config = {};
    const providerConfig: Record<string, string> = { "aws:region": "eu-west-1" };
    for (const [key, value] of Object.entries(config)) {
        if (SECRET_KEYS.includes(key)) continue;
        if (key.startsWith("mlflow:")) raw[key.slice("mlflow:".length)] = value;
        else providerConfig[key] = String(value);
    }
    return { project: "mlflow", stack, raw, secretsSet: new Set(), providerConfig };
}


function maxInstances(spec: DeploymentSpec): number {
    return spec.aws?.maxCount ?? spec.azure?.maxReplicas ?? spec.gcp!.maxInstances;
}

/**
 * The pool the program sized fits the database, with at least MIN_POOL_CONNECTIONS per engine, or on
 * GCP at least MIN_CAPPED_POOL_CONNECTIONS with Cloud Run giving each instance no more requests than it serves.
 */
function assertFits(label: string, spec: DeploymentSpec): void {
    const limit = connectionLimit(spec.backend);
    assert.ok(limit, `${label}: the database's limit is known`);
    const perEngine = spec.dbPool.size + spec.dbPool.maxOverflow;
    const d = { workers: spec.workers, auth: spec.auth.enabled, jobRunner: spec.jobRunner, maxInstances: maxInstances(spec), concurrencyCapped: spec.platform === "gcp" };
    const peak = peakConnections(d, perEngine);
    assert.ok(peak <= limit.usable, `${label}: up to ${peak} connections, the database accepts ${limit.usable}`);
    assert.ok(perEngine >= minPool(d), `${label}: a pool of ${perEngine} per engine`);
    if (spec.gcp) {
        assert.ok(perEngine >= MIN_CAPPED_POOL_CONNECTIONS, `${label}: a pool of ${perEngine} per engine`);
        assert.ok(spec.gcp.concurrency <= requestCap(spec.dbPool), `${label}: ${spec.gcp.concurrency} requests per instance for a pool of ${perEngine}`);
    } else {
        assert.ok(perEngine >= MIN_POOL_CONNECTIONS, `${label}: a pool of ${perEngine} per engine`);
    }
}

/** Which argument follows a flag. */
function argValue(args: string[], flag: string): string {
    const i = args.indexOf(flag);
    assert.ok(i >= 0, `no ${flag} in ${args.join(" ")}`);
    return args[i + 1];
}

/** Secrets in the forms they could leak in. */
function leakForms(secret: string): string[] {
    return [secret, encodeURIComponent(secret), encodeURIComponent(secret).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)];
}

/** What `type::name` the run registered, sorted (components included). */
function registered(run: ProgramRun): string[] {
    return run.resources.map((r) => `${r.type}::${r.name}`).sort();
}

function minus(a: string[], b: string[]): string[] {
    const rest = [...b];
    return a.filter((x) => {
        const i = rest.indexOf(x);
        if (i === -1) return true;
        rest.splice(i, 1);
        return false;
    });
}

/** One MLflow server container as the tests compare it, whatever the platform's shape. */
interface Server {
    resource: RegisteredResource;
    args: string[];
    /** Plain variables. */
    env: Record<string, string>;
    /** Variables given by reference to a secret store, with the reference. */
    secretRefs: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Each platform's view of its MLflow services

interface AwsContainer {
    command: string[];
    environment: { name: string; value: string }[];
    secrets: { name: string; valueFrom: string }[];
    logConfiguration: { options: Record<string, string> };
    [k: string]: unknown;
}

function awsContainer(task: RegisteredResource): AwsContainer {
    const defs = JSON.parse(task.inputs.containerDefinitions as string) as AwsContainer[];
    assert.strictEqual(defs.length, 1);
    return defs[0];
}

const PLATFORM = {
    aws: {
        services: (run: ProgramRun) => run.byType("aws:ecs/service:Service"),
        server(run: ProgramRun, service: RegisteredResource): Server {
            const task = taskOf(run, service);
            const c = awsContainer(task);
            return {
                resource: service,
                args: c.command,
                env: Object.fromEntries(c.environment.map((e) => [e.name, e.value])),
                secretRefs: Object.fromEntries(c.secrets.map((s) => [s.name, s.valueFrom])),
            };
        },
    },
    azure: {
        services: (run: ProgramRun) => run.byType("azure-native:app:ContainerApp"),
        server(_run: ProgramRun, app: RegisteredResource): Server {
            const c = azureContainer(app);
            return {
                resource: app,
                args: c.args,
                env: Object.fromEntries(c.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!])),
                secretRefs: Object.fromEntries(c.env.filter((e) => e.secretRef !== undefined).map((e) => [e.name, e.secretRef!])),
            };
        },
    },
    gcp: {
        services: (run: ProgramRun) => run.byType("gcp:cloudrunv2/service:Service"),
        server(_run: ProgramRun, service: RegisteredResource): Server {
            const c = gcpContainer(service);
            return {
                resource: service,
                args: c.args,
                env: Object.fromEntries(c.envs.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!])),
                secretRefs: Object.fromEntries(c.envs.filter((e) => e.valueSource !== undefined).map((e) => [e.name, JSON.stringify(e.valueSource)])),
            };
        },
    },
};

function taskOf(run: ProgramRun, service: RegisteredResource): RegisteredResource {
    const tasks = run.byType("aws:ecs/taskDefinition:TaskDefinition").filter((t) => String(service.inputs.taskDefinition).includes(`task-definition/${String(t.inputs.family)}:`));
    assert.strictEqual(tasks.length, 1, `${service.name}: the task definition of ${String(service.inputs.taskDefinition)}`);
    return tasks[0];
}

interface AzureContainer {
    image: string;
    args: string[];
    env: { name: string; value?: string; secretRef?: string }[];
    resources: { cpu: number; memory: string };
    probes: unknown[];
}

function azureContainer(app: RegisteredResource): AzureContainer {
    const containers = (app.inputs.template as { containers: AzureContainer[] }).containers;
    assert.strictEqual(containers.length, 1);
    return containers[0];
}

interface GcpContainer {
    image: string;
    args: string[];
    envs: { name: string; value?: string; valueSource?: { secretKeyRef: { secret: string; version: string } } }[];
    resources: { limits: { cpu: string; memory: string }; cpuIdle: boolean; startupCpuBoost: boolean };
    startupProbe: unknown;
    livenessProbe: unknown;
}

interface GcpTemplate {
    serviceAccount: string;
    scaling: { minInstanceCount: number; maxInstanceCount: number };
    vpcAccess: unknown;
    containers: GcpContainer[];
}

function gcpContainer(service: RegisteredResource): GcpContainer {
    const containers = (service.inputs.template as GcpTemplate).containers;
    assert.strictEqual(containers.length, 1);
    return containers[0];
}

/** The web and (with dedicated) job-runner services of a run, by name. */
function servicesOf(cloud: Cloud, stack: Stack, run: ProgramRun): { web: RegisteredResource; jobs?: RegisteredResource; all: RegisteredResource[] } {
    const all = PLATFORM[cloud].services(run);
    const nameOf = (r: RegisteredResource) => String(cloud === "azure" ? r.inputs.containerAppName : r.inputs.name);
    const names = { aws: [`mlflow-${stack}-server`, `mlflow-${stack}-jobs`], azure: [azureNames(`mlflow-${stack}`).app, azureNames(`mlflow-${stack}`).jobRunnerApp], gcp: [gcpNames(`mlflow-${stack}`).service, gcpNames(`mlflow-${stack}`).jobRunnerService] }[cloud];
    const find = (n: string) => all.filter((r) => nameOf(r) === n);
    assert.strictEqual(find(names[0]).length, 1, `${cloud} ${stack}: the web service ${names[0]} among ${all.map(nameOf).join(", ")}`);
    return { web: find(names[0])[0], jobs: find(names[1])[0], all };
}

/**
 * The web service's inputs without what the job runner may change: the job and pool variables, and
 * on Cloud Run the requests per instance, capped by that pool.
 */
function withoutJobVars(cloud: Cloud, web: RegisteredResource): unknown {
    const keep = (name: string) => !JOB_VARS.includes(name) && !POOL_VARS.includes(name);
    const inputs = JSON.parse(JSON.stringify(web.inputs)) as Record<string, any>;
    if (cloud === "azure") {
        for (const c of inputs.template.containers) c.env = c.env.filter((e: { name: string }) => keep(e.name));
    } else if (cloud === "gcp") {
        for (const c of inputs.template.containers) c.envs = c.envs.filter((e: { name: string }) => keep(e.name));
        delete inputs.template.maxInstanceRequestConcurrency;
    }
    return inputs;
}

// ---------------------------------------------------------------------------------------------

describe("jobRunner dedicated on the clouds under mocks (staging and prod of AWS, Azure and GCP)", function () {
    this.timeout(300000);
    const runs: Record<string, ProgramRun> = {};
    const key = (cloud: Cloud, stack: Stack, mode: JobRunnerMode) => `${cloud} ${stack} ${mode}`;
    const specOf = (cloud: Cloud, stack: Stack, mode: JobRunnerMode) => parseConfig(parseInput(stack, runConfig(cloud, stack, mode))).spec;

    before(async () => {
        for (const cloud of CLOUDS) {
            for (const stack of STACKS) {
                for (const mode of JOB_RUNNER_MODES) {
                    // "on" runs one instance, which prod on AWS refuses (it keeps two tasks).
                    if (mode === "on" && cloud === "aws" && stack === "prod") continue;
                    runs[key(cloud, stack, mode)] = await runProgram(stack, runConfig(cloud, stack, mode), SECRET_KEYS);
                }
            }
        }
    });

    for (const cloud of CLOUDS) {
        it(`${cloud}: one MLflow service with off and on, two with dedicated`, () => {
            for (const stack of STACKS) {
                for (const mode of JOB_RUNNER_MODES) {
                    const run = runs[key(cloud, stack, mode)];
                    if (!run) continue;
                    const { all, jobs } = servicesOf(cloud, stack, run);
                    assert.strictEqual(all.length, mode === "dedicated" ? 2 : 1, `${cloud} ${stack} ${mode}`);
                    assert.strictEqual(jobs !== undefined, mode === "dedicated", `${cloud} ${stack} ${mode}: the job runner`);
                }
            }
        });

        it(`${cloud}: dedicated adds exactly the job runner's resources; everything else is the same as with off`, () => {
            const expected: Record<Cloud, (stack: Stack) => string[]> = {
                aws: (stack) => [`aws:ecs/service:Service::mlflow-${stack}-service-jobs`, `aws:ecs/taskDefinition:TaskDefinition::mlflow-${stack}-service-jobs-task`],
                azure: (stack) => [`azure-native:app:ContainerApp::mlflow-${stack}-platform-jobs`],
                gcp: (stack) => [`gcp:cloudrunv2/service:Service::mlflow-${stack}-jobs-service`, `mlflow:platform:GcpCloudRun::mlflow-${stack}-jobs`],
            };
            for (const stack of STACKS) {
                const off = registered(runs[key(cloud, stack, "off")]);
                const dedicated = registered(runs[key(cloud, stack, "dedicated")]);
                assert.deepStrictEqual(minus(off, dedicated), [], `${cloud} ${stack}: dedicated drops nothing`);
                assert.deepStrictEqual(minus(dedicated, off).sort(), expected[cloud](stack).sort(), `${cloud} ${stack}: what dedicated adds`);
            }
        });

        it(`${cloud}: the web service is the same as with off but for the job variables (and the pool sized for the job runner too)`, () => {
            for (const stack of STACKS) {
                const offRun = runs[key(cloud, stack, "off")];
                const dedicatedRun = runs[key(cloud, stack, "dedicated")];
                const off = servicesOf(cloud, stack, offRun).web;
                const web = servicesOf(cloud, stack, dedicatedRun).web;
                assert.deepStrictEqual(withoutJobVars(cloud, web), withoutJobVars(cloud, off), `${cloud} ${stack}: the web service`);
                const before = PLATFORM[cloud].server(offRun, off);
                const after = PLATFORM[cloud].server(dedicatedRun, web);
                for (const [k, v] of Object.entries(jobRunnerEnv("dedicated", "web"))) assert.strictEqual(after.env[k], v, `${cloud} ${stack}: web ${k}`);
                for (const [k, v] of Object.entries(jobRunnerEnv("off", "server"))) assert.strictEqual(before.env[k], v, `${cloud} ${stack}: off ${k}`);
                const rest = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).filter(([k]) => !JOB_VARS.includes(k) && !POOL_VARS.includes(k)));
                assert.deepStrictEqual(rest(after.env), rest(before.env), `${cloud} ${stack}: the web service's other variables`);
                assert.deepStrictEqual(after.args, before.args, `${cloud} ${stack}: the web service's arguments`);
                assert.deepStrictEqual(after.secretRefs, before.secretRefs, `${cloud} ${stack}: the web service's secrets`);
                assert.ok(!argValue(after.args, "--allowed-hosts").split(",").includes("0.0.0.0"), "the web servers run no job, so no callback host");
                // The pool both services get is the one parseConfig sized for web servers plus job runner.
                const spec = specOf(cloud, stack, "dedicated");
                assert.strictEqual(after.env.MLFLOW_SQLALCHEMYSTORE_POOL_SIZE, String(spec.dbPool.size));
                assert.strictEqual(after.env.MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW, String(spec.dbPool.maxOverflow));
                if (cloud === "gcp") {
                    // Cloud Run gives each instance what its pool serves: the cap of each mode's own pool.
                    const offSpec = specOf(cloud, stack, "off");
                    const concurrency = (r: RegisteredResource) => (r.inputs.template as { maxInstanceRequestConcurrency: number }).maxInstanceRequestConcurrency;
                    assert.strictEqual(concurrency(web), Math.min(40, requestCap(spec.dbPool)), `${stack}: dedicated`);
                    assert.strictEqual(concurrency(off), Math.min(40, requestCap(offSpec.dbPool)), `${stack}: off`);
                    assert.ok(concurrency(web) < concurrency(off), `${stack}: the job runner's connections leave the web servers a smaller pool`);
                }
                if (cloud === "aws") {
                    // The web task definition: the same but for those variables.
                    const strip = (task: RegisteredResource) => {
                        const c = awsContainer(task);
                        return { ...task.inputs, containerDefinitions: { ...c, environment: c.environment.filter((e) => !JOB_VARS.includes(e.name) && !POOL_VARS.includes(e.name)) } };
                    };
                    assert.deepStrictEqual(strip(taskOf(dedicatedRun, web)), strip(taskOf(offRun, off)), `${stack}: the web task definition`);
                }
            }
        });

        it(`${cloud}: the job runner runs one worker with the executor engine and the periodic tasks, and serves 0.0.0.0 for its own callbacks`, () => {
            for (const stack of STACKS) {
                const run = runs[key(cloud, stack, "dedicated")];
                const { web, jobs } = servicesOf(cloud, stack, run);
                const runner = PLATFORM[cloud].server(run, jobs!);
                const server = PLATFORM[cloud].server(run, web);
                assert.strictEqual(argValue(runner.args, "--workers"), "1", `${cloud} ${stack}`);
                for (const [k, v] of Object.entries(jobRunnerEnv("dedicated", "job-runner"))) assert.strictEqual(runner.env[k], v, `${cloud} ${stack}: job runner ${k}`);
                assert.ok(!("MLFLOW_DEPLOY_SUBMIT_JOBS_ONLY" in runner.env), "the job runner runs the jobs");
                assert.ok(argValue(runner.args, "--allowed-hosts").split(",").includes("0.0.0.0"));
                // Otherwise the same server: arguments but workers and hosts, variables but the job ones.
                const strip = (args: string[]) => args.map((a, i) => (args[i - 1] === "--workers" || args[i - 1] === "--allowed-hosts" ? "<varies>" : a));
                assert.deepStrictEqual(strip(runner.args), strip(server.args), `${cloud} ${stack}: arguments`);
                const rest = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).filter(([k]) => !JOB_VARS.includes(k)));
                assert.deepStrictEqual(rest(runner.env), rest(server.env), `${cloud} ${stack}: variables`);
            }
        });

        it(`${cloud}: the job runner's secrets are the web service's references, never values in its env, arguments or any plain input`, () => {
            for (const stack of STACKS) {
                const run = runs[key(cloud, stack, "dedicated")];
                const { web, jobs } = servicesOf(cloud, stack, run);
                const runner = PLATFORM[cloud].server(run, jobs!);
                assert.deepStrictEqual(Object.keys(runner.secretRefs).sort(), SECRET_ENV, `${cloud} ${stack}`);
                assert.deepStrictEqual(runner.secretRefs, PLATFORM[cloud].server(run, web).secretRefs, `${cloud} ${stack}: the same references`);
                for (const name of SECRET_ENV) assert.ok(!(name in runner.env), `${cloud} ${stack}: ${name} as a plain variable`);
                for (const v of [...runner.args, ...Object.values(runner.env)]) {
                    assert.ok(!/postgresql(\+psycopg2)?:\/\//.test(v), `${cloud} ${stack}: a database URI in plain: ${v}`);
                }
                const generated = run.byType("random:index/randomPassword:RandomPassword").map((r) => `generated ${r.name} p@ss:w/o?r#d%&`);
                const secrets = [ADMIN_PASSWORD, DB_PASSWORD, ...generated].flatMap(leakForms);
                for (const r of run.resources) {
                    if (r.type.startsWith("random:")) continue;
                    const plain = plainStrings(r.inputs);
                    for (const s of secrets) assert.ok(!plain.some((p) => p.includes(s)), `${cloud} ${stack}: ${r.type} ${r.name} shows a secret in a plain input`);
                }
                // The scan can fail: the secrets are in the run, wrapped.
                assert.ok(run.resources.some((r) => allStrings(r.inputs).some((s) => s.includes(ADMIN_PASSWORD))), `${cloud} ${stack}: the admin password is stored`);
            }
        });
    }

    it("aws: the job runner is an ECS service of one task, <prefix>-jobs, with its own task definition, no load balancer and no autoscaling", () => {
        for (const stack of STACKS) {
            const run = runs[key("aws", stack, "dedicated")];
            const spec = specOf("aws", stack, "dedicated");
            const { web, jobs } = servicesOf("aws", stack, run);
            const s = jobs!.inputs;
            assert.strictEqual(s.name, `mlflow-${stack}-jobs`);
            assert.strictEqual(s.desiredCount, 1);
            assert.strictEqual(s.deploymentMinimumHealthyPercent, 0, "the old task stops before the new one starts");
            assert.strictEqual(s.deploymentMaximumPercent, 100, "never two job runners");
            assert.deepStrictEqual(s.deploymentCircuitBreaker, { enable: true, rollback: true });
            assert.strictEqual(s.loadBalancers, undefined, "nobody reaches the job runner");
            assert.strictEqual(s.healthCheckGracePeriodSeconds, undefined, "no load balancer health check to wait for");
            assert.strictEqual(s.launchType, "FARGATE");
            assert.strictEqual(s.cluster, web.inputs.cluster);
            assert.deepStrictEqual(s.networkConfiguration, web.inputs.networkConfiguration, "the tasks' subnets and security group, which reach the database");
            assert.strictEqual(jobs!.options.ignoreChanges, undefined, "no autoscaler owns its count");
            // One scalable target, for the web service only.
            const target = run.one("aws:appautoscaling/target:Target");
            assert.strictEqual(target.inputs.resourceId, `service/mlflow-${stack}/mlflow-${stack}-server`);
            assert.strictEqual(run.byType("aws:appautoscaling/policy:Policy").length, 1);
            assert.strictEqual(run.byType("aws:lb/targetGroup:TargetGroup").length, 1);

            const task = taskOf(run, jobs!);
            const webTask = taskOf(run, web);
            assert.strictEqual(task.inputs.family, `mlflow-${stack}-jobs`);
            assert.strictEqual(webTask.inputs.family, `mlflow-${stack}-server`);
            assert.strictEqual(task.inputs.cpu, String(spec.aws!.cpu));
            assert.strictEqual(task.inputs.memory, String(defaultFargateMemory(spec.aws!.cpu, footprintMiB(1, "dedicated", spec.auth.enabled, "job-runner"))));
            for (const k of ["executionRoleArn", "taskRoleArn", "requiresCompatibilities", "networkMode", "runtimePlatform"]) {
                assert.deepStrictEqual(task.inputs[k], webTask.inputs[k], `${stack}: ${k}`);
            }
            assert.strictEqual(run.byType("aws:iam/role:Role").filter((r) => r.name.startsWith(`mlflow-${stack}-service-`)).length, 2, "the same execution and task roles");
            const c = awsContainer(task);
            const webContainer = awsContainer(webTask);
            assert.strictEqual(c.image, webContainer.image);
            assert.deepStrictEqual(c.secrets, webContainer.secrets);
            for (const ref of c.secrets) assert.match(ref.valueFrom, new RegExp(`^arn:aws:secretsmanager:.*:secret:mlflow-${stack}/${ref.name}-`));
            const logs = run.one("aws:cloudwatch/logGroup:LogGroup");
            assert.deepStrictEqual(c.logConfiguration.options, { "awslogs-group": logs.inputs.name, "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "jobs" });
            assert.strictEqual(webContainer.logConfiguration.options["awslogs-stream-prefix"], "mlflow");
            assert.deepStrictEqual(c.healthCheck, webContainer.healthCheck);
        }
    });

    it("azure: the job runner is a Container App of one replica, without ingress, with the web app's identity, registry and Key Vault secrets", () => {
        for (const stack of STACKS) {
            const run = runs[key("azure", stack, "dedicated")];
            const spec = specOf("azure", stack, "dedicated");
            const { web, jobs } = servicesOf("azure", stack, run);
            const a = jobs!.inputs as Record<string, any>;
            const w = web.inputs as Record<string, any>;
            assert.strictEqual(a.containerAppName, `mlflow-${stack}-jobs`);
            assert.strictEqual(a.configuration.ingress, undefined, "nobody reaches the job runner");
            assert.strictEqual(w.configuration.ingress.external, true);
            assert.strictEqual(a.configuration.activeRevisionsMode, "Single");
            assert.deepStrictEqual(a.configuration.registries, w.configuration.registries);
            assert.deepStrictEqual(a.configuration.secrets, w.configuration.secrets);
            for (const s of a.configuration.secrets as Record<string, unknown>[]) assert.deepStrictEqual(Object.keys(s).sort(), ["identity", "keyVaultUrl", "name"], "a Key Vault reference, never a value");
            for (const k of ["identity", "managedEnvironmentId", "workloadProfileName", "resourceGroupName", "location"]) assert.deepStrictEqual(a[k], w[k], `${stack}: ${k}`);
            assert.deepStrictEqual(a.template.scale, { minReplicas: 1, maxReplicas: 1 });
            const cpu = defaultContainerAppsCpu("0.5", footprintMiB(1, "dedicated", spec.auth.enabled, "job-runner"));
            const c = azureContainer(jobs!);
            assert.deepStrictEqual(c.resources, { cpu: Number(cpu), memory: `${Number(cpu) * 2}Gi` }, "2 GiB per core");
            assert.ok(Number(cpu) * 2048 >= footprintMiB(1, "dedicated", spec.auth.enabled, "job-runner"));
            assert.strictEqual(c.image, azureContainer(web).image);
            assert.deepStrictEqual(c.probes, azureContainer(web).probes);
            // Every variable is a plain value or a secretRef, and the secret versions roll both apps.
            for (const e of c.env) assert.ok((e.value === undefined) !== (e.secretRef === undefined), `${e.name}: value or secretRef`);
            assert.deepStrictEqual(c.env.find((e) => e.name === "MLFLOW_DEPLOY_SECRET_VERSIONS"), azureContainer(web).env.find((e) => e.name === "MLFLOW_DEPLOY_SECRET_VERSIONS"));
            assert.strictEqual(run.byType("azure-native:authorization:RoleAssignment").length, runs[key("azure", stack, "off")].byType("azure-native:authorization:RoleAssignment").length, "no grant of its own");
        }
    });

    it("gcp: the job runner is a Cloud Run service of one internal instance, its CPU always allocated, invoked by nobody", () => {
        for (const stack of STACKS) {
            const run = runs[key("gcp", stack, "dedicated")];
            const spec = specOf("gcp", stack, "dedicated");
            const { web, jobs } = servicesOf("gcp", stack, run);
            const s = jobs!.inputs as Record<string, any>;
            const w = web.inputs as Record<string, any>;
            assert.strictEqual(s.name, `mlflow-${stack}-jobs`);
            assert.strictEqual(s.ingress, "INGRESS_TRAFFIC_INTERNAL_ONLY");
            assert.strictEqual(w.ingress, "INGRESS_TRAFFIC_ALL");
            assert.strictEqual(s.iapEnabled, undefined);
            const t = s.template as GcpTemplate;
            const wt = w.template as GcpTemplate;
            assert.deepStrictEqual(t.scaling, { minInstanceCount: 1, maxInstanceCount: 1 });
            assert.deepStrictEqual(wt.scaling, { minInstanceCount: spec.gcp!.minInstances, maxInstanceCount: spec.gcp!.maxInstances });
            assert.strictEqual(t.serviceAccount, wt.serviceAccount);
            assert.deepStrictEqual(t.vpcAccess, wt.vpcAccess, "the same egress to Cloud SQL's private IP");
            const c = gcpContainer(jobs!);
            const wc = gcpContainer(web);
            assert.strictEqual(c.resources.cpuIdle, false, "the job runner works between requests");
            assert.strictEqual(wc.resources.cpuIdle, true, "the web servers keep Cloud Run's request-time CPU");
            assert.deepStrictEqual(c.resources.limits, { cpu: String(spec.gcp!.cpu), memory: `${defaultCloudRunMemory(spec.gcp!.cpu, footprintMiB(1, "dedicated", spec.auth.enabled, "job-runner"))}Mi` });
            assert.strictEqual(c.image, wc.image);
            assert.deepStrictEqual([c.startupProbe, c.livenessProbe], [wc.startupProbe, wc.livenessProbe]);
            for (const e of c.envs) assert.ok((e.value === undefined) !== (e.valueSource === undefined), `${e.name}: value or Secret Manager reference`);
            // Invokers: the web service's alone.
            const invokers = run.byType("gcp:cloudrunv2/serviceIamMember:ServiceIamMember");
            assert.deepStrictEqual(invokers.map((i) => i.inputs.name), [`mlflow-${stack}-server`]);
            assert.strictEqual(invokers.length, runs[key("gcp", stack, "off")].byType("gcp:cloudrunv2/serviceIamMember:ServiceIamMember").length);
            assert.strictEqual(run.outputs.url, `https://mlflow-${stack}-server-123456789012.europe-west1.run.app`);
        }
    });

    it("gcp with IAP and a custom domain: both stay on the web service; the job runner gets no mapping, no IAP and no invoker", async () => {
        const base = runConfig("gcp", "prod", "dedicated");
        const run = await runProgram("prod", { ...base, "mlflow:gcp": { access: "iap", invokers: ["domain:example.com"], customDomain: "mlflow.example.com" } }, SECRET_KEYS);
        const { web, jobs } = servicesOf("gcp", "prod", run);
        assert.strictEqual(web.inputs.iapEnabled, true);
        assert.strictEqual(jobs!.inputs.iapEnabled, undefined);
        assert.strictEqual(jobs!.inputs.ingress, "INGRESS_TRAFFIC_INTERNAL_ONLY");
        const mapping = run.one("gcp:cloudrun/domainMapping:DomainMapping");
        assert.deepStrictEqual([mapping.inputs.name, (mapping.inputs.spec as { routeName: string }).routeName], ["mlflow.example.com", "mlflow-prod-server"]);
        assert.deepStrictEqual(run.byType("gcp:cloudrunv2/serviceIamMember:ServiceIamMember").map((i) => i.inputs.name), ["mlflow-prod-server"]);
        assert.deepStrictEqual(run.byType("gcp:iap/webCloudRunServiceIamMember:WebCloudRunServiceIamMember").map((i) => i.inputs.cloudRunServiceName), ["mlflow-prod-server"]);
        assert.ok(!argValue(gcpContainer(web).args, "--allowed-hosts").split(",").includes("0.0.0.0"));
    });

    it("azure and gcp: a long project or stack name never gives the job runner the web service's name", () => {
        const prefix = "mlflow-tracking-server-production";
        const az = azureNames(prefix);
        assert.notStrictEqual(az.jobRunnerApp, az.app);
        assert.ok(az.jobRunnerApp.length <= 32 && /^[a-z][a-z0-9-]*-jobs$/.test(az.jobRunnerApp), az.jobRunnerApp);
        const long = `${prefix}-for-the-platform-team-eu`;
        const gcp = gcpNames(long);
        assert.notStrictEqual(gcp.jobRunnerService, gcp.service);
        assert.ok(gcp.jobRunnerService.length <= 49 && /^[a-z][a-z0-9-]*-jobs$/.test(gcp.jobRunnerService), gcp.jobRunnerService);
        // Short prefixes keep the plain <prefix>-jobs.
        assert.strictEqual(azureNames("mlflow-staging").jobRunnerApp, "mlflow-staging-jobs");
        assert.strictEqual(gcpNames("mlflow-staging").jobRunnerService, "mlflow-staging-jobs");
    });
});

describe("jobRunner dedicated on the clouds: the database connections", () => {
    /** Each alternative of a dbPoolSize fix, as the settings it changes (a larger database as ROOMY). */
    function alternatives(line: string): [string, string][][] {
        const fix = line.slice(line.indexOf("Fix: ") + "Fix: ".length);
        return fix.split("  or  ").map((alt) => {
            const larger = /^a larger database \(mlflow:([\w.]+)\)$/.exec(alt);
            if (larger) return [[larger[1], "<larger>"]];
            return alt.split(" && ").map((cmd) => {
                const m = /^pulumi config set (?:--path )?mlflow:([\w.]+) (\S+) --stack \w+$/.exec(cmd);
                assert.ok(m, `not a config command: ${cmd}`);
                return [m[1], m[2]] as [string, string];
            });
        });
    }

    const LARGER: Record<string, string> = { "backend.instanceClass": "db.m6g.large", "backend.skuName": "Standard_D2ds_v5", "backend.tier": "db-custom-2-7680" };

    function apply(i: ParseInput, changes: [string, string][]): ParseInput {
        const raw: Config = { ...i.raw };
        for (const [k, v] of changes) {
            const [head, sub] = k.split(".");
            if (sub === undefined) raw[head] = v;
            else raw[head] = { ...((raw[head] as Config | undefined) ?? {}), [sub]: v === "<larger>" ? LARGER[k] : v };
        }
        return { ...i, raw };
    }

    it("prod: Azure (Standard_D2ds_v5) and GCP (db-custom-1-3840, its requests per instance capped) have room for the job runner with their defaults", () => {
        for (const cloud of ["azure", "gcp"] as const) {
            const { spec } = parseConfig(parseInput("prod", { ...stackConfig(cloud, "prod"), "mlflow:jobRunner": "dedicated" }));
            assert.strictEqual(spec.jobRunner, "dedicated");
            assertFits(`${cloud} prod dedicated`, spec);
            // The web servers keep every instance they had.
            const off = parseConfig(parseInput("prod", stackConfig(cloud, "prod"))).spec;
            assert.strictEqual(maxInstances(spec), maxInstances(off), cloud);
        }
        // GCP: 97 usable, 4 instances × 4 engines × n + 1 and the job runner's 3 × 4 × n + 1 leave n = 3
        // (below MIN_POOL_CONNECTIONS), so each instance gets 2 requests at once.
        const gcp = parseConfig(parseInput("prod", { ...stackConfig("gcp", "prod"), "mlflow:jobRunner": "dedicated" })).spec;
        assert.deepStrictEqual(gcp.dbPool, { size: 1, maxOverflow: 2 });
        assert.strictEqual(gcp.gcp!.concurrency, 2);
    });

    it("AWS prod's Pulumi.prod.yaml (db.t4g.small, up to 4 tasks) and every staging default leave too small a pool: refused, with fixes that each work", () => {
        const cases: [Cloud, Stack][] = [["aws", "prod"], ["aws", "staging"], ["azure", "staging"], ["gcp", "staging"]];
        for (const [cloud, stack] of cases) {
            const i = parseInput(stack, { ...stackConfig(cloud, stack), "mlflow:jobRunner": "dedicated" });
            const m = refusal(i);
            const lines = m.split("\n  - ").slice(1);
            assert.strictEqual(lines.length, 1, `${cloud} ${stack}: one problem\n${m}`);
            assert.ok(lines[0].startsWith("mlflow:dbPoolSize: ") && lines[0].includes("the job runner (dedicated)"), lines[0]);
            const alts = alternatives(lines[0]);
            assert.ok(alts.length >= 2, lines[0]);
            for (const changes of alts) {
                const { spec } = parseConfig(apply(i, changes));
                assertFits(`${cloud} ${stack} + ${JSON.stringify(changes)}`, spec);
            }
        }
        // AWS prod keeps dedicated with two web tasks at most (163 usable: 2 × 33 + 97 = 163), or on a larger class.
        const i = parseInput("prod", { ...stackConfig("aws", "prod"), "mlflow:jobRunner": "dedicated" });
        const m = refusal(i);
        assert.ok(m.includes("room for 5 connections per engine (4 instances × 1 worker × 4 engines + the job runner (dedicated))"), m);
        assert.ok(m.includes("pulumi config set --path mlflow:aws.maxCount 2 --stack prod"), m);
    });

    it("the dedicated runs above use databases with room: their pools fit", () => {
        for (const cloud of CLOUDS) {
            for (const stack of STACKS) {
                assertFits(`${cloud} ${stack}`, parseConfig(parseInput(stack, runConfig(cloud, stack, "dedicated"))).spec);
            }
        }
    });
});
