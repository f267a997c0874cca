// Sizing: every platform's default memory keeps HEADROOM over the measured footprint
// (components/config/footprint.ts), memory below it is refused or warned about with a fix that
// works, the database pool fits the database's connection limit (connections.ts, dbLimits.ts),
// and mlflow:authCacheSeconds reaches the server only with auth. Pure: parseConfig and the contract.
import * as assert from "assert";
import { AZURE_FIELDS, CONTAINER_APPS_CPU } from "../../components/config/azure";
import { fargateMemorySizes } from "../../components/config/aws";
import { CLOUD_RUN_MEMORY } from "../../components/config/gcp";
import { MIN_CAPPED_POOL_CONNECTIONS, MIN_POOL_CONNECTIONS, minPool, MLFLOW_DEFAULT_POOL, peakConnections, poolOf, requestCap } from "../../components/config/connections";
import { connectionLimit, POSTGRES_CONTAINER_MAX_CONNECTIONS, rdsClassMemoryGiB } from "../../components/config/dbLimits";
import { footprintMiB, HEADROOM } from "../../components/config/footprint";
import { JobRunnerMode } from "../../components/config/jobRunner";
import { DEFAULT_CLOUD_WORKERS, DEFAULT_WORKERS, parseConfig, ParseInput, ParseResult, SecretKey } from "../../components/config/parse";
import { DeploymentSpec } from "../../components/config/spec";
import { buildServerContract } from "../../components/contract";
import { dockerPlatformFacts } from "../../components/platform/docker/platform";
import { localArtifactsContract, postgresBackendContract } from "../../components/stores/contracts";
import { dockerStackConfig, refusal } from "./fixtures";
import { stackFileConfig } from "./harness";

type Cloud = "aws" | "azure" | "gcp";
const CLOUDS: Cloud[] = ["aws", "azure", "gcp"];
const STACKS = ["staging", "prod"] as const;
type Raw = Record<string, unknown>;

const PROVIDERS = { "aws:region": "eu-west-1", "azure-native:location": "westeurope", "gcp:project": "my-project-1", "gcp:region": "europe-west1" };

/** A stack file's `config:` as parseConfig's input: mlflow: keys as raw, the rest as provider settings. */
function fromStackFile(stack: string, config: Raw, extraSecrets: Partial<Record<SecretKey, string>> = {}): ParseInput {
    const raw: Raw = {};
    const providerConfig: Record<string, string> = { ...PROVIDERS };
    for (const [key, value] of Object.entries(config)) {
        if (key.startsWith("mlflow:")) raw[key.slice("mlflow:".length)] = value;
        else providerConfig[key] = String(value);
    }
    return input(stack, raw, extraSecrets, providerConfig);
}

function input(stack: string, raw: Raw, secrets: Partial<Record<SecretKey, string>> = {}, providerConfig: Record<string, string> = PROVIDERS): ParseInput {
    return {
        project: "mlflow",
        stack,
        raw,
        secretsSet: new Set(Object.keys(secrets) as SecretKey[]),
        secretValues: secrets,
        providerConfig,
    };
}


/** The one problem line of `key` (with its Fix), from a ConfigError message. */
function problemLine(message: string, key: string): string {
    const line = message.split("\n  - ").find((l) => l.startsWith(`${key}:`));
    assert.ok(line, `no problem for ${key} in:\n${message}`);
    assert.match(line, /Allowed: /);
    assert.match(line, /\n {4}Fix: /);
    return line;
}

/** The value a `pulumi config set [--path] mlflow:<key> <value> --stack s` command in `text` sets. */
function fixValue(text: string, key: string): string {
    const m = new RegExp(`pulumi config set (?:--path )?mlflow:${key.replace(/[.[\]]/g, "\\$&")} (\\S+) --stack `).exec(text);
    assert.ok(m, `no fix command for mlflow:${key} in: ${text}`);
    return m[1];
}

/** A raw config with a dotted settings key (e.g. aws.memory) set. */
function withSetting(raw: Raw, key: string, value: unknown): Raw {
    const dot = key.indexOf(".");
    if (dot === -1) return { ...raw, [key]: value };
    const head = key.slice(0, dot);
    const obj = typeof raw[head] === "object" && raw[head] !== null ? (raw[head] as Raw) : {};
    return { ...raw, [head]: { ...obj, [key.slice(dot + 1)]: value } };
}

// ---------------------------------------------------------------------------------------------
// The stacks: AWS from the project's stack files; Azure and GCP as the same stacks would run there
// with every setting at its default (the azure/gcp specs' configurations).

const CLOUD_BASE: Record<Cloud, Raw> = {
    // prod on AWS needs TLS (or an explicit opt-out): a domain in a Route 53 zone.
    aws: { platform: "aws", backend: { type: "rds" }, artifacts: { type: "s3" }, aws: { domain: "mlflow.example.com", hostedZoneId: "Z0123456789EXAMPLE0" } },
    azure: { platform: "azure", backend: { type: "azure-postgres" }, artifacts: { type: "azure-blob" } },
    gcp: { platform: "gcp", backend: { type: "cloudsql" }, artifacts: { type: "gcs" } },
};

/** Databases with room for any demand below (the job runner's pools, more workers): the connection budget is tested on its own. */
const ROOMY_DB: Record<Cloud, Raw> = {
    aws: { type: "rds", instanceClass: "db.m6g.large" },
    azure: { type: "azure-postgres", skuName: "Standard_D2ds_v5" },
    gcp: { type: "cloudsql", tier: "db-custom-2-7680" },
};

/** Settings that make a cloud stack run exactly one instance that stays up (what jobRunner on needs). */
const ONE_INSTANCE: Record<Cloud, Raw> = {
    aws: { desiredCount: 1, minCount: 1, maxCount: 1 },
    azure: { minReplicas: 1, maxReplicas: 1 },
    gcp: { minInstances: 1, maxInstances: 1 },
};

/** The stack's configuration on a cloud, without any memory setting (so the defaults apply). */
function stackOn(cloud: Cloud, stack: string): ParseInput {
    if (cloud === "aws") {
        const config = stackFileConfig(stack);
        assert.strictEqual(config["mlflow:platform"], "aws", `Pulumi.${stack}.yaml runs on AWS`);
        const aws = { ...(config["mlflow:aws"] as Raw) };
        delete aws.memory;
        return fromStackFile(stack, { ...config, "mlflow:aws": aws });
    }
    return input(stack, { ...CLOUD_BASE[cloud] });
}

function merge(i: ParseInput, cloud: Cloud, raw: Raw, settings: Raw = {}): ParseInput {
    const current = (i.raw[cloud] as Raw | undefined) ?? {};
    return { ...i, raw: { ...i.raw, ...raw, [cloud]: { ...current, ...settings } } };
}

/** What one instance of the stack's server gets, in MiB. */
function memoryMiB(spec: DeploymentSpec): number {
    if (spec.aws) return spec.aws.memory;
    if (spec.azure) return Number(spec.azure.cpu) * 2048;
    if (spec.gcp) return spec.gcp.memoryMiB;
    throw new Error(`no memory setting on ${spec.platform}`);
}

/** The next smaller size the platform allows, or undefined at its smallest. */
function smallerSize(spec: DeploymentSpec, atLeastCpu: string): number | undefined {
    if (spec.aws) {
        const sizes = fargateMemorySizes(spec.aws.cpu).filter((m) => m < spec.aws!.memory);
        return sizes.length ? sizes[sizes.length - 1] : undefined;
    }
    if (spec.azure) {
        const sizes = CONTAINER_APPS_CPU.filter((c) => Number(c) >= Number(atLeastCpu) && Number(c) < Number(spec.azure!.cpu));
        return sizes.length ? Number(sizes[sizes.length - 1]) * 2048 : undefined;
    }
    const min = CLOUD_RUN_MEMORY[spec.gcp!.cpu][0];
    return spec.gcp!.memoryMiB - 256 >= min ? spec.gcp!.memoryMiB - 256 : undefined;
}

function maxInstancesOf(spec: DeploymentSpec): number {
    return spec.aws?.maxCount ?? spec.azure?.maxReplicas ?? spec.gcp?.maxInstances ?? 1;
}

function memoryWarnings(r: ParseResult): string[] {
    return r.warnings.filter((w) => /MiB the server uses under load/.test(w));
}

describe("sizing: default memory keeps 30% headroom over the measured footprint", () => {
    it("the headroom is 30%, and the footprint grows with workers, auth and the job runner", () => {
        assert.strictEqual(HEADROOM, 1.3);
        for (const auth of [false, true]) {
            for (const jobRunner of ["off", "on"] as JobRunnerMode[]) {
                const byWorkers = [1, 2, 3, 4, 6].map((w) => footprintMiB(w, jobRunner, auth));
                for (let i = 1; i < byWorkers.length; i++) assert.ok(byWorkers[i] > byWorkers[i - 1], `${jobRunner} auth ${auth}: ${byWorkers.join(", ")}`);
            }
            assert.ok(footprintMiB(1, "on", auth) > footprintMiB(1, "off", auth) + 1000, "the job runner adds over 1 GiB");
            // The web servers of "dedicated" run no job runner; the job-runner instance has its own figure.
            assert.strictEqual(footprintMiB(2, "dedicated", auth, "web"), footprintMiB(2, "off", auth));
            assert.strictEqual(footprintMiB(4, "dedicated", auth, "job-runner"), footprintMiB(1, "dedicated", auth, "job-runner"));
        }
        assert.ok(footprintMiB(1, "off", true) > footprintMiB(1, "off", false), "auth costs memory");
    });

    it("the cloud stacks run one worker per instance by default, Docker two", () => {
        assert.strictEqual(DEFAULT_CLOUD_WORKERS, 1);
        for (const cloud of CLOUDS) {
            for (const stack of STACKS) {
                const raw = stackOn(cloud, stack).raw;
                // Pulumi.prod.yaml may pin its own workers; the default applies where it does not.
                if (raw.workers === undefined) assert.strictEqual(parseConfig(stackOn(cloud, stack)).spec.workers, DEFAULT_CLOUD_WORKERS, `${cloud} ${stack}`);
            }
        }
        assert.strictEqual(parseConfig(input("staging", { backend: { type: "postgres", mode: "container" } })).spec.workers, DEFAULT_WORKERS);
        assert.strictEqual(DEFAULT_WORKERS, 2);
    });

    const cases: { cloud: Cloud; stack: string; jobRunner: JobRunnerMode; workers?: number }[] = [];
    for (const cloud of CLOUDS) {
        for (const stack of STACKS) {
            for (const jobRunner of ["off", "on"] as JobRunnerMode[]) {
                for (const workers of [undefined, 2, 4]) cases.push({ cloud, stack, jobRunner, workers });
            }
        }
    }

    for (const { cloud, stack, jobRunner, workers } of cases) {
        const name = `${cloud} ${stack}, job runner ${jobRunner}${workers ? `, ${workers} workers` : ", default workers"}`;
        if (cloud === "aws" && stack === "prod" && jobRunner === "on") {
            it(`${name}: refused, as prod keeps two tasks and "on" runs one`, () => {
                const m = refusal(merge(stackOn(cloud, stack), cloud, { jobRunner: "on", workers, backend: ROOMY_DB[cloud] }, ONE_INSTANCE[cloud]));
                assert.ok(problemLine(m, "mlflow:aws.minCount").includes("pulumi config set --path mlflow:aws.minCount 2 --stack prod"), m);
            });
            continue;
        }
        it(`${name}: the smallest size with headroom, and no memory warning`, () => {
            let i = stackOn(cloud, stack);
            if (jobRunner === "on") i = merge(i, cloud, { jobRunner: "on" }, ONE_INSTANCE[cloud]);
            if (workers) i = merge(i, cloud, { workers });
            // The stack's own database unless the case needs more connections than it has.
            if (jobRunner === "on" || workers) i = merge(i, cloud, { backend: ROOMY_DB[cloud] });
            const result = parseConfig(i);
            const { spec } = result;
            assert.strictEqual(spec.jobRunner, jobRunner);
            if (workers) assert.strictEqual(spec.workers, workers);
            const footprint = footprintMiB(spec.workers, spec.jobRunner, spec.auth.enabled);
            const given = memoryMiB(spec);
            assert.ok(given >= HEADROOM * footprint, `${name}: ${given} MiB < ${HEADROOM} × ${footprint} MiB`);
            assert.deepStrictEqual(memoryWarnings(result), [], `${name}: the default memory draws a warning`);
            // Not more than needed: the next smaller size the platform allows lacks the headroom.
            const smaller = smallerSize(spec, stack === "prod" ? "1" : "0.5");
            if (smaller !== undefined) {
                assert.ok(smaller < HEADROOM * footprint, `${name}: ${smaller} MiB would do, but the default is ${given}`);
            }
        });
    }

    it("the stack files' own aws.memory: refused below the footprint, warned below the headroom, silent above", () => {
        for (const stack of STACKS) {
            const config = stackFileConfig(stack);
            const memory = (config["mlflow:aws"] as Raw).memory;
            assert.strictEqual(typeof memory, "number", `Pulumi.${stack}.yaml sets aws.memory`);
            // "on" runs one task, which prod does not allow (the test above).
            for (const jobRunner of (stack === "prod" ? ["off"] : ["off", "on"]) as JobRunnerMode[]) {
                let i = fromStackFile(stack, config);
                // The job runner's pools need more connections than staging's db.t4g.micro (79) has
                // with a pool of MIN_POOL_CONNECTIONS per engine: the next class up.
                if (jobRunner === "on") i = merge(i, "aws", { jobRunner: "on", backend: { ...(config["mlflow:backend"] as Raw), instanceClass: "db.t4g.small" } }, ONE_INSTANCE.aws);
                const workers = i.raw.workers === undefined ? DEFAULT_CLOUD_WORKERS : Number(i.raw.workers);
                const footprint = footprintMiB(workers, jobRunner, true);
                const label = `Pulumi.${stack}.yaml, job runner ${jobRunner}: ${memory} MiB for ${footprint} MiB`;
                if ((memory as number) < footprint) {
                    const line = problemLine(refusal(i), "mlflow:aws.memory");
                    assert.ok(Number(fixValue(line, "aws.memory")) >= HEADROOM * footprint, `${label}: ${line}`);
                } else if ((memory as number) < HEADROOM * footprint) {
                    const warnings = memoryWarnings(parseConfig(i));
                    assert.strictEqual(warnings.length, 1, `${label}: ${warnings.join("\n")}`);
                    assert.ok(Number(fixValue(warnings[0], "aws.memory")) >= HEADROOM * footprint, warnings[0]);
                } else {
                    assert.deepStrictEqual(memoryWarnings(parseConfig(i)), [], label);
                }
                if (jobRunner === "off") assert.ok((memory as number) >= HEADROOM * footprint, `${label}: the stack file lacks the headroom with its own settings`);
            }
        }
    });
});

describe("sizing: memory below the footprint", () => {
    // Each platform's memory key, a size below the footprint, and one between 1.0× and 1.3× of it.
    // Two workers with auth use 675 MiB, one 431 MiB (footprint.ts).
    const MEMORY: { cloud: Cloud; key: string; low: Raw; lowWorkers: number; tight: Raw; tightWorkers: number; toMiB: (v: string) => number }[] = [
        { cloud: "aws", key: "aws.memory", low: { cpu: 256, memory: 512 }, lowWorkers: 2, tight: { cpu: 256, memory: 512 }, tightWorkers: 1, toMiB: Number },
        { cloud: "gcp", key: "gcp.memoryMiB", low: { memoryMiB: 512 }, lowWorkers: 2, tight: { memoryMiB: 512 }, tightWorkers: 1, toMiB: Number },
        { cloud: "azure", key: "azure.cpu", low: { cpu: "0.25" }, lowWorkers: 2, tight: { cpu: "0.25" }, tightWorkers: 1, toMiB: (v) => Number(v) * 2048 },
    ];

    function base(cloud: Cloud, workers: number, settings: Raw): ParseInput {
        const i = input("staging", { ...CLOUD_BASE[cloud], auth: true, workers, backend: ROOMY_DB[cloud], [cloud]: settings });
        return i;
    }

    for (const m of MEMORY) {
        it(`${m.key}: below the footprint is refused, with a fix that keeps the headroom and is then accepted`, () => {
            const footprint = footprintMiB(m.lowWorkers, "off", true);
            const i = base(m.cloud, m.lowWorkers, m.low);
            const line = problemLine(refusal(i), `mlflow:${m.key}`);
            assert.ok(line.includes(`below the ${footprint} MiB the server uses under load`), line);
            assert.ok(line.includes(`${m.lowWorkers} workers, auth, job runner off`), line);
            const fix = fixValue(line, m.key);
            assert.ok(m.toMiB(fix) >= HEADROOM * footprint, `${line}: the fix lacks the headroom`);
            // The fix works: accepted, and without a warning.
            const fixed = parseConfig({ ...i, raw: withSetting(i.raw, m.key, m.cloud === "azure" ? fix : Number(fix)) });
            assert.deepStrictEqual(memoryWarnings(fixed), []);
            assert.strictEqual(memoryMiB(fixed.spec), m.toMiB(fix));
        });

        it(`${m.key}: between 1.0× and 1.3× of the footprint is a warning with the fix, not a problem`, () => {
            const footprint = footprintMiB(m.tightWorkers, "off", true);
            const result = parseConfig(base(m.cloud, m.tightWorkers, m.tight));
            const given = memoryMiB(result.spec);
            assert.ok(given >= footprint && given < HEADROOM * footprint, `the case must be tight: ${given} for ${footprint}`);
            const warnings = memoryWarnings(result);
            assert.strictEqual(warnings.length, 1, warnings.join("\n"));
            assert.ok(warnings[0].startsWith(`mlflow:${m.key} gives ${given} MiB, less than 30% above the ${footprint} MiB`), warnings[0]);
            assert.ok(m.toMiB(fixValue(warnings[0], m.key)) >= HEADROOM * footprint, warnings[0]);
        });
    }

    it("azure.memory must stay 2 GiB per core: the check is on azure.cpu", () => {
        assert.ok(AZURE_FIELDS.includes("memory"));
        const line = problemLine(refusal(input("staging", { ...CLOUD_BASE.azure, azure: { cpu: "1", memory: "1Gi" } })), "mlflow:azure.memory");
        assert.ok(line.includes("pulumi config set --path mlflow:azure.memory 2Gi --stack staging"), line);
    });
});

describe("sizing: database connections", () => {
    /** The demand parseConfig sized the pool for. */
    function demandOf(spec: DeploymentSpec) {
        return { workers: spec.workers, auth: spec.auth.enabled, jobRunner: spec.jobRunner, maxInstances: maxInstancesOf(spec), concurrencyCapped: spec.platform === "gcp" };
    }

    function checkFits(label: string, spec: DeploymentSpec): void {
        const limit = connectionLimit(spec.backend);
        assert.ok(limit, `${label}: the program knows the limit of ${JSON.stringify(spec.backend)}`);
        const perEngine = spec.dbPool.size + spec.dbPool.maxOverflow;
        const d = demandOf(spec);
        const peak = peakConnections(d, perEngine);
        assert.ok(peak <= limit.usable, `${label}: pool ${spec.dbPool.size} + ${spec.dbPool.maxOverflow} may hold ${peak} connections, the database accepts ${limit.usable}`);
        // Below MIN_POOL_CONNECTIONS only where Cloud Run caps the requests each instance gets below the pool.
        assert.ok(perEngine >= minPool(d), `${label}: a pool of ${perEngine} per engine`);
        if (spec.platform !== "gcp") assert.ok(perEngine >= MIN_POOL_CONNECTIONS, `${label}: a pool of ${perEngine} per engine`);
        if (spec.gcp) assert.ok(spec.gcp.concurrency <= requestCap(spec.dbPool), `${label}: ${spec.gcp.concurrency} requests per instance for ${spec.workers} worker(s) with ${perEngine} per engine`);
        assert.ok(perEngine <= MLFLOW_DEFAULT_POOL.size + MLFLOW_DEFAULT_POOL.maxOverflow, `${label}: more than MLflow's own pool`);
        assert.ok(spec.dbPool.maxOverflow >= 1, `${label}: dbMaxOverflow 0 means SQLAlchemy's 10 to MLflow`);
        // As large as fits: one more connection per engine would not (or it is MLflow's own 5 + 10).
        if (perEngine < MLFLOW_DEFAULT_POOL.size + MLFLOW_DEFAULT_POOL.maxOverflow) {
            assert.ok(peakConnections(d, perEngine + 1) > limit.usable, `${label}: ${perEngine} per engine, but ${perEngine + 1} would fit`);
        }
    }

    it("every cloud's staging and prod defaults: the sized pool fits the database's usable connections", () => {
        for (const cloud of CLOUDS) {
            for (const stack of STACKS) {
                for (const i of [stackOn(cloud, stack), input(stack, { ...CLOUD_BASE[cloud] })]) {
                    // AWS prod without its stack file: the test below.
                    if (cloud === "aws" && stack === "prod" && i.raw.backend === CLOUD_BASE.aws.backend) continue;
                    checkFits(`${cloud} ${stack} ${JSON.stringify(i.raw)}`, parseConfig(i).spec);
                }
            }
        }
    });

    it("AWS prod defaults to db.t4g.small, whose connections fit four tasks; db.t4g.micro there is refused, with fixes that each fit", () => {
        const i = input("prod", { ...CLOUD_BASE.aws });
        const spec = parseConfig(i).spec;
        assert.strictEqual(spec.backend.type === "rds" && spec.backend.instanceClass, "db.t4g.small");
        checkFits("AWS prod defaults", spec);
        // 79 usable on db.t4g.micro: 4 tasks × (1 worker × 4 engines × n + 1) leaves n = 4, below MIN_POOL_CONNECTIONS.
        const micro = input("prod", { ...CLOUD_BASE.aws, backend: { type: "rds", instanceClass: "db.t4g.micro" } });
        const line = problemLine(refusal(micro), "mlflow:dbPoolSize");
        assert.ok(line.includes("room for 4 connections per engine (4 instances × 1 worker × 4 engines)"), line);
        assert.ok(line.includes(`at least ${MIN_POOL_CONNECTIONS} per engine within 79 connections`), line);
        assert.strictEqual(fixValue(line, "aws.maxCount"), "2", line);
        assert.ok(line.includes("a larger database (mlflow:backend.instanceClass)"), line);
        checkFits("aws.maxCount 2", parseConfig(input("prod", withSetting(micro.raw, "aws.maxCount", 2))).spec);
    });

    it("the stack files as they are, and the Docker fixtures with PostgreSQL, fit too; SQLite keeps MLflow's pool", () => {
        for (const stack of STACKS) {
            checkFits(`Pulumi.${stack}.yaml`, parseConfig(fromStackFile(stack, stackFileConfig(stack))).spec);
            const docker = parseConfig(fromStackFile(stack, dockerStackConfig(stack))).spec;
            assert.strictEqual(docker.backend.type, "postgres");
            checkFits(`Docker ${stack}`, docker);
        }
        const dev = parseConfig(fromStackFile("dev", dockerStackConfig("dev"))).spec;
        assert.strictEqual(dev.backend.type, "sqlite");
        assert.deepStrictEqual(dev.dbPool, MLFLOW_DEFAULT_POOL);
    });

    it("the smallest pool: 8 per engine (measured), 2 where the platform caps each instance's requests; the cap is the pool − 1", () => {
        // Measured with one worker and 16 clients: 2 + 3 and 2 + 4 timed out, 3 + 4 and up served every request.
        assert.strictEqual(MIN_POOL_CONNECTIONS, 8);
        assert.ok(MIN_POOL_CONNECTIONS > 2 + 4, "above the largest pool that timed out");
        assert.deepStrictEqual(poolOf(MIN_POOL_CONNECTIONS), { size: 3, maxOverflow: 5 }, "a pool measured to serve every request");
        assert.strictEqual(MIN_CAPPED_POOL_CONNECTIONS, 2);
        assert.strictEqual(minPool({}), MIN_POOL_CONNECTIONS);
        assert.strictEqual(minPool({ concurrencyCapped: false }), MIN_POOL_CONNECTIONS);
        assert.strictEqual(minPool({ concurrencyCapped: true }), MIN_CAPPED_POOL_CONNECTIONS);
        // Each worker keeps one connection of its pool free for the second session create_run opens.
        assert.strictEqual(requestCap({ size: 2, maxOverflow: 3 }), 4);
        assert.strictEqual(requestCap({ size: 1, maxOverflow: 1 }), 1);
        assert.strictEqual(requestCap({ size: 5, maxOverflow: 10 }), 14, "one worker may get every request of the instance");
        assert.strictEqual(requestCap({ size: 3, maxOverflow: 5 }), 7);
        // Only GCP (Cloud Run's concurrency) counts as capped: its staging defaults get the pool that timed out
        // uncapped (2 + 3), the other clouds' stay at or above MIN_POOL_CONNECTIONS.
        const gcp = parseConfig(input("staging", { ...CLOUD_BASE.gcp })).spec;
        assert.deepStrictEqual(gcp.dbPool, { size: 2, maxOverflow: 3 });
        assert.strictEqual(gcp.gcp!.concurrency, 4);
        for (const cloud of ["aws", "azure"] as const) {
            const spec = parseConfig(input("staging", { ...CLOUD_BASE[cloud] })).spec;
            assert.ok(spec.dbPool.size + spec.dbPool.maxOverflow >= MIN_POOL_CONNECTIONS, `${cloud}: ${JSON.stringify(spec.dbPool)}`);
        }
    });

    it("the pool reaches the server as MLFLOW_SQLALCHEMYSTORE_POOL_SIZE / _MAX_OVERFLOW", () => {
        const spec = parseConfig(input("staging", { backend: { type: "postgres", mode: "container" }, dbPoolSize: 3, dbMaxOverflow: 4 })).spec;
        assert.deepStrictEqual(spec.dbPool, { size: 3, maxOverflow: 4 });
        const c = buildServerContract({
            spec,
            backend: postgresBackendContract({ host: "db", port: 5432, user: "mlflow", password: "x", database: "mlflow", authDatabase: "mlflow_auth" }),
            artifacts: localArtifactsContract("/mlflow/artifacts", "staging"),
            platform: dockerPlatformFacts(spec),
            auth: { adminPassword: "pw", flaskSecretKey: "key" },
        });
        assert.strictEqual(c.env.MLFLOW_SQLALCHEMYSTORE_POOL_SIZE, "3");
        assert.strictEqual(c.env.MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW, "4");
    });

    it("an explicit pool beyond the limit is refused, with a pool that fits; that pool is then accepted", () => {
        const cases: [string, ParseInput][] = [
            ["gcp staging", input("staging", { ...CLOUD_BASE.gcp, dbPoolSize: 5, dbMaxOverflow: 10 })],
            ["azure prod, 4 workers", input("prod", { ...CLOUD_BASE.azure, workers: 4, dbPoolSize: 20, dbMaxOverflow: 30 })],
            ["aws staging file, 2 workers", merge(fromStackFile("staging", stackFileConfig("staging")), "aws", { workers: 2, dbPoolSize: 10, dbMaxOverflow: 10 })],
        ];
        for (const [label, i] of cases) {
            const line = problemLine(refusal(i), "mlflow:dbPoolSize");
            assert.match(line, /connections \(.*instance.*\)\. Allowed: at most \d+ \(max_connections /, `${label}: ${line}`);
            const size = Number(fixValue(line, "dbPoolSize"));
            const overflow = Number(fixValue(line, "dbMaxOverflow"));
            assert.ok(size >= 1 && overflow >= 1, `${label}: ${line}`);
            const fixed = parseConfig({ ...i, raw: { ...i.raw, dbPoolSize: size, dbMaxOverflow: overflow } }).spec;
            assert.deepStrictEqual(fixed.dbPool, { size, maxOverflow: overflow });
            const limit = connectionLimit(fixed.backend)!;
            assert.ok(peakConnections(demandOf(fixed), size + overflow) <= limit.usable, `${label}: the fix ${size} + ${overflow} does not fit ${limit.usable}`);
        }
    });

    it("an explicit pool with room for only one connection per engine is refused with a change that makes room, not a pool of 1 + 1", () => {
        // Four instances on db-f1-micro (22 usable): 4 × (4 engines × 1 + 1) = 20 fits, 1 + 1 per engine would not.
        const i = input("staging", { ...CLOUD_BASE.gcp, gcp: { maxInstances: 4 }, dbPoolSize: 5, dbMaxOverflow: 10 });
        const line = problemLine(refusal(i), "mlflow:dbPoolSize");
        assert.ok(!line.includes("mlflow:dbMaxOverflow 1 "), line);
        const instances = Number(fixValue(line, "gcp.maxInstances"));
        // Cloud Run caps each instance's requests, so 2 per engine will do: 2 × (4 × 2 + 1) = 18; 3 instances would need 27.
        assert.strictEqual(instances, 2, line);
        const fixed = parseConfig(input("staging", withSetting({ ...i.raw, dbPoolSize: undefined, dbMaxOverflow: undefined }, "gcp.maxInstances", instances))).spec;
        checkFits(`gcp.maxInstances ${instances}`, fixed);
        assert.ok(fixed.dbPool.size + fixed.dbPool.maxOverflow >= MIN_CAPPED_POOL_CONNECTIONS);
        // ... and each instance is then given no more requests than its pool serves.
        assert.strictEqual(fixed.gcp!.concurrency, requestCap(fixed.dbPool));
    });

    it("a demand too large for the database is refused naming the limit, with fixes that each make room", () => {
        // db-f1-micro accepts 25, 3 reserved: 10 instances × 4 workers × 4 engines cannot fit.
        const i = input("staging", { ...CLOUD_BASE.gcp, workers: 4, gcp: { maxInstances: 10 } });
        const line = problemLine(refusal(i), "mlflow:dbPoolSize");
        assert.ok(line.includes("10 instances × 4 workers × 4 engines"), line);
        // Cloud Run caps the requests per instance: the smallest pool there is MIN_CAPPED_POOL_CONNECTIONS.
        assert.ok(line.includes(`at least ${MIN_CAPPED_POOL_CONNECTIONS} per engine within 22 connections (max_connections 25 on db-f1-micro`), line);
        assert.ok(line.includes("a larger database (mlflow:backend.tier)"), line);
        // No single change fits here; together they do.
        const together = "pulumi config set mlflow:workers 1 --stack staging && pulumi config set --path mlflow:gcp.maxInstances 1 --stack staging";
        assert.ok(line.includes(together), line);
        const fixed = parseConfig(input("staging", { ...CLOUD_BASE.gcp, workers: 1, gcp: { maxInstances: 1 } })).spec;
        checkFits("the combined fix", fixed);
        const bigger = parseConfig(input("staging", { ...CLOUD_BASE.gcp, workers: 4, gcp: { maxInstances: 10 }, backend: { type: "cloudsql", tier: "db-custom-16-61440" } })).spec;
        checkFits("a larger database", bigger);
    });

    it("a demand a little too large gets the most workers or instances that fit, never a setting the stack already has", () => {
        // Standard_B2s: 414 usable. 4 replicas × 4 workers × 4 engines leave 6 per engine; 3 workers
        // (4 × (12 × 8 + 1) = 388) or 3 replicas (3 × (16 × 8 + 1) = 387) leave 8.
        const base = { ...CLOUD_BASE.azure, workers: 4, backend: { type: "azure-postgres", skuName: "Standard_B2s" }, azure: { maxReplicas: 4 } };
        const m = refusal(input("staging", base));
        const line = problemLine(m, "mlflow:dbPoolSize");
        assert.ok(line.includes("room for 6 connections per engine"), line);
        assert.ok(line.includes("pulumi config set mlflow:workers 3 --stack staging"), line);
        assert.ok(line.includes("pulumi config set --path mlflow:azure.maxReplicas 3 --stack staging"), line);
        for (const [key, value] of [["workers", 3], ["azure.maxReplicas", 3]] as const) {
            checkFits(`${key} ${value}`, parseConfig(input("staging", withSetting(base, key, value))).spec);
        }
        // Already one worker on one replica, with the job runner inside: only the job runner or the database.
        const on = problemLine(refusal(input("staging", { ...CLOUD_BASE.azure, jobRunner: "on", azure: ONE_INSTANCE.azure })), "mlflow:dbPoolSize");
        assert.ok(!on.includes("mlflow:workers") && !on.includes("maxReplicas"), on);
        assert.ok(on.includes("pulumi config set mlflow:jobRunner off --stack staging") && on.includes("a larger database (mlflow:backend.skuName)"), on);
        // Dedicated holds more connections than on (its job runner has a web worker of its own): it is no fix for the pool.
        assert.ok(!on.includes("mlflow:jobRunner dedicated"), on);
        checkFits("jobRunner off", parseConfig(input("staging", { ...CLOUD_BASE.azure, jobRunner: "off", azure: ONE_INSTANCE.azure })).spec);
        checkFits("a larger database", parseConfig(input("staging", { ...CLOUD_BASE.azure, jobRunner: "on", azure: ONE_INSTANCE.azure, backend: ROOMY_DB.azure })).spec);
    });

    it("a fix never lowers the maximum below the minimum the stack keeps", () => {
        // aws prod keeps 2 tasks; db.t4g.micro (79 usable) with up to 10. One task of 2 workers
        // would fit, but the fix keeps two (with one worker each).
        const m = refusal(input("prod", { ...CLOUD_BASE.aws, workers: 2, backend: { type: "rds", instanceClass: "db.t4g.micro", multiAz: true }, aws: { maxCount: 10, domain: "mlflow.example.com", hostedZoneId: "Z0123456789EXAMPLE0" } }));
        const line = problemLine(m, "mlflow:dbPoolSize");
        const max = Number(fixValue(line, "aws.maxCount"));
        assert.ok(max >= 2 && max < 10, line);
        assert.ok(!line.includes("mlflow:aws.maxCount 1 "), line);
    });

    it("an unknown database class, or an external PostgreSQL, keeps MLflow's own 5 + 10", () => {
        assert.deepStrictEqual(MLFLOW_DEFAULT_POOL, { size: 5, maxOverflow: 10 });
        const url = { postgresUrl: "postgresql://mlflow:secret@db.example.com:5432/mlflow" };
        const specs: [string, DeploymentSpec][] = [
            ["rds db.x2g.large", parseConfig(input("staging", { ...CLOUD_BASE.aws, backend: { type: "rds", instanceClass: "db.x2g.large" } })).spec],
            ["rds db.t4g.8xlarge (no such burstable class)", parseConfig(input("staging", { ...CLOUD_BASE.aws, backend: { type: "rds", instanceClass: "db.t4g.8xlarge" } })).spec],
            ["external on Docker", parseConfig(input("staging", { backend: { type: "postgres", mode: "external" } }, url)).spec],
            ["external on GCP", parseConfig(input("staging", { ...CLOUD_BASE.gcp, backend: { type: "postgres", mode: "external" } }, url)).spec],
        ];
        for (const [label, spec] of specs) {
            assert.strictEqual(connectionLimit(spec.backend), undefined, label);
            assert.deepStrictEqual(spec.dbPool, MLFLOW_DEFAULT_POOL, label);
        }
        // Nor is an explicit pool checked against a limit nobody knows.
        const big = parseConfig(input("staging", { backend: { type: "postgres", mode: "external" }, workers: 8, dbPoolSize: 50, dbMaxOverflow: 50 }, url)).spec;
        assert.deepStrictEqual(big.dbPool, { size: 50, maxOverflow: 50 });
    });

    it("dbPoolSize and dbMaxOverflow: 1 to 50; dbMaxOverflow 0 is refused (MLflow reads it as SQLAlchemy's 10)", () => {
        const line = problemLine(refusal(input("dev", { dbMaxOverflow: 0 })), "mlflow:dbMaxOverflow");
        assert.ok(line.includes("MLflow reads 0 as SQLAlchemy's default of 10"), line);
        assert.ok(line.includes("pulumi config set mlflow:dbMaxOverflow 10 --stack dev"), line);
        for (const [key, bad] of [["dbPoolSize", 0], ["dbPoolSize", 51], ["dbMaxOverflow", 51], ["dbPoolSize", "x"]] as const) {
            problemLine(refusal(input("dev", { [key]: bad })), `mlflow:${key}`);
        }
        // Either alone is completed with MLflow's own value for the other.
        assert.deepStrictEqual(parseConfig(input("dev", { dbPoolSize: "2" })).spec.dbPool, { size: 2, maxOverflow: 10 });
        assert.deepStrictEqual(parseConfig(input("dev", { dbMaxOverflow: 3 })).spec.dbPool, { size: 5, maxOverflow: 3 });
    });

    it("RDS class memory: t and m by size, r twice; unknown shapes are unknown", () => {
        assert.strictEqual(rdsClassMemoryGiB("db.t4g.micro"), 1);
        assert.strictEqual(rdsClassMemoryGiB("db.t4g.small"), 2);
        assert.strictEqual(rdsClassMemoryGiB("db.m6g.large"), 8);
        assert.strictEqual(rdsClassMemoryGiB("db.r6g.large"), 16);
        assert.strictEqual(rdsClassMemoryGiB("db.m7g.2xlarge"), 32);
        for (const unknown of ["db.m6g.micro", "db.t4g.8xlarge", "db.x2g.large", "db.t4g", "t4g.micro"]) {
            assert.strictEqual(rdsClassMemoryGiB(unknown), undefined, unknown);
        }
        // db.t4g.micro: about 84 connections (RDS reports 87 for its 1 GiB), 5 reserved.
        const micro = connectionLimit(parseConfig(input("staging", { ...CLOUD_BASE.aws })).spec.backend)!;
        assert.ok(micro.usable >= 75 && micro.usable <= 85, JSON.stringify(micro));
        assert.match(micro.source, /db\.t4g\.micro/);
    });

    it("Azure and Cloud SQL limits of the default sizes, less what the provider reserves", () => {
        const usable = (stack: string, cloud: Cloud) => connectionLimit(parseConfig(input(stack, { ...CLOUD_BASE[cloud] })).spec.backend)!;
        assert.deepStrictEqual([usable("staging", "azure").usable, usable("prod", "azure").usable], [35, 844]);
        assert.match(usable("staging", "azure").source, /^50 on Standard_B1ms, 15 reserved/);
        assert.match(usable("prod", "azure").source, /^859 on Standard_D2ds_v5, 15 reserved/);
        assert.deepStrictEqual([usable("staging", "gcp").usable, usable("prod", "gcp").usable], [22, 97]);
        assert.match(usable("staging", "gcp").source, /^25 on db-f1-micro/);
        assert.match(usable("prod", "gcp").source, /^100 on db-custom-1-3840/);
        // The PostgreSQL container: the max_connections the program sets on it (200), 3 for superusers.
        assert.strictEqual(POSTGRES_CONTAINER_MAX_CONNECTIONS, 200);
        const container = connectionLimit({ type: "postgres", mode: "container", database: "mlflow", authDatabase: "mlflow_auth", user: "mlflow" } as DeploymentSpec["backend"])!;
        assert.strictEqual(container.usable, 197);
        assert.match(container.source, /^200 \(set on the postgres container\), 3 reserved/);
    });

    it("Docker with the PostgreSQL container: 197 usable leave prod's 4 workers a pool of 12 per engine, 8 a refusal", () => {
        // 4 workers × 4 engines × 12 + 1 = 193; with PostgreSQL's own 100 (97 usable) it would be 6.
        const prod = parseConfig(fromStackFile("prod", dockerStackConfig("prod"))).spec;
        assert.strictEqual(prod.workers, 4);
        assert.deepStrictEqual(prod.dbPool, poolOf(12));
        assert.deepStrictEqual(prod.dbPool, { size: 4, maxOverflow: 8 });
        const line = problemLine(refusal(fromStackFile("prod", { ...dockerStackConfig("prod"), "mlflow:workers": 8 })), "mlflow:dbPoolSize");
        assert.ok(line.includes("within 197 connections (max_connections 200 (set on the postgres container), 3 reserved)"), line);
        assert.ok(line.includes("pulumi config set mlflow:workers 6 --stack prod"), line);
    });
});

describe("sizing: mlflow:authCacheSeconds", () => {
    const backend = postgresBackendContract({ host: "db", port: 5432, user: "mlflow", password: "x", database: "mlflow", authDatabase: "mlflow_auth" });
    const artifacts = localArtifactsContract("/mlflow/artifacts", "staging");

    function envOf(raw: Raw): Record<string, unknown> {
        const spec = parseConfig(input("staging", { backend: { type: "postgres", mode: "container" }, ...raw })).spec;
        const auth = spec.auth.enabled ? { adminPassword: "pw", flaskSecretKey: "key" } : undefined;
        return buildServerContract({ spec, backend, artifacts, platform: dockerPlatformFacts(spec), auth }).env;
    }

    it("60 seconds by default, reaching the server only with auth on", () => {
        assert.strictEqual(parseConfig(input("staging", {})).spec.auth.cacheSeconds, 60);
        assert.strictEqual(envOf({}).MLFLOW_AUTH_CACHE_TTL_SECONDS, "60");
        const off = envOf({ auth: false });
        assert.ok(!("MLFLOW_AUTH_CACHE_TTL_SECONDS" in off), "no auth, no auth cache");
        assert.ok(!("MLFLOW_AUTH_CACHE_TTL_SECONDS" in envOf({ auth: false, authCacheSeconds: 30 })));
        assert.strictEqual(envOf({ authCacheSeconds: "120" }).MLFLOW_AUTH_CACHE_TTL_SECONDS, "120");
    });

    it("0 turns the cache off and is passed on as 0", () => {
        assert.strictEqual(parseConfig(input("staging", { authCacheSeconds: 0 })).spec.auth.cacheSeconds, 0);
        assert.strictEqual(envOf({ authCacheSeconds: 0 }).MLFLOW_AUTH_CACHE_TTL_SECONDS, "0");
    });

    it("-1, 4000 and non-numbers are refused with the default as the fix", () => {
        for (const bad of [-1, 4000, "x", 1.5]) {
            const line = problemLine(refusal(input("staging", { authCacheSeconds: bad })), "mlflow:authCacheSeconds");
            assert.ok(line.includes("0 to 3600 seconds"), line);
            assert.ok(line.includes("pulumi config set mlflow:authCacheSeconds 60 --stack staging"), line);
        }
    });

    it("the program owns MLFLOW_AUTH_CACHE_TTL_SECONDS and the pool variables: extraEnv may not set them", () => {
        for (const name of ["MLFLOW_AUTH_CACHE_TTL_SECONDS", "MLFLOW_SQLALCHEMYSTORE_POOL_SIZE", "MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW"]) {
            const m = refusal(input("staging", { extraEnv: { [name]: "1" } }));
            problemLine(m, `mlflow:extraEnv.${name}`);
        }
    });
});
