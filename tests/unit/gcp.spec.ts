import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { requestCap } from "../../components/config/connections";
import { ConfigError } from "../../components/config/problems";
import { parseConfig, ParseInput, SecretKey } from "../../components/config/parse";
import { allowedHostPatterns, buildServerContract, ENTRYPOINT_IN_IMAGE, IMAGE_CONTEXT } from "../../components/contract";
import { fnmatch, gcpNames, gcpPlatformFacts, legacyRunAppHostPattern, requiredApis, runAppHost, secretId } from "../../components/platform/gcp/facts";
import { KEYLESS_SIGNING_DIR, KEYLESS_SIGNING_DIR_IN_IMAGE, KEYLESS_SIGNING_HOOK, keylessSigningEnv } from "../../components/platform/gcp/signing";
import { gcpName, gcpServiceAccountId } from "../../components/naming";
import { allStrings, isSecretValue, plainStrings, ProgramRun, RegisteredResource, ROOT, runProgram } from "./harness";

const PROJECT = "acme-ml-123";
const REGION = "europe-west1";
const ADMIN_PASSWORD = "Adm1n-gcp pass@word:/?#%&";
const DB_PASSWORD = "sql-Pw!#%&*-_+=:?x9";
const PROVIDER = { "gcp:project": PROJECT, "gcp:region": REGION };

const T = {
    service: "gcp:cloudrunv2/service:Service",
    invoker: "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
    sql: "gcp:sql/databaseInstance:DatabaseInstance",
    database: "gcp:sql/database:Database",
    user: "gcp:sql/user:User",
    secret: "gcp:secretmanager/secret:Secret",
    secretVersion: "gcp:secretmanager/secretVersion:SecretVersion",
    secretIam: "gcp:secretmanager/secretIamMember:SecretIamMember",
    bucket: "gcp:storage/bucket:Bucket",
    bucketIam: "gcp:storage/bucketIAMMember:BucketIAMMember",
    saIam: "gcp:serviceaccount/iAMMember:IAMMember",
    account: "gcp:serviceaccount/account:Account",
    api: "gcp:projects/service:Service",
    repo: "gcp:artifactregistry/repository:Repository",
    image: "docker:index/image:Image",
    network: "gcp:compute/network:Network",
    subnet: "gcp:compute/subnetwork:Subnetwork",
    range: "gcp:compute/globalAddress:GlobalAddress",
    peering: "gcp:servicenetworking/connection:Connection",
    iapMember: "gcp:iap/webCloudRunServiceIamMember:WebCloudRunServiceIamMember",
    domain: "gcp:cloudrun/domainMapping:DomainMapping",
};

function gcpConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        "mlflow:platform": "gcp",
        "gcp:project": PROJECT,
        "gcp:region": REGION,
        "mlflow:backend": { type: "cloudsql" },
        "mlflow:artifacts": { type: "gcs" },
        "mlflow:adminPassword": ADMIN_PASSWORD,
        "mlflow:dbPassword": DB_PASSWORD,
        ...extra,
    };
}
const SECRET_KEYS = ["mlflow:adminPassword", "mlflow:dbPassword", "mlflow:postgresUrl"];

interface Container {
    image: string;
    commands?: string[];
    args: string[];
    envs: { name: string; value?: string; valueSource?: { secretKeyRef: { secret: string; version: string } } }[];
    ports: { containerPort: number };
    resources: { limits: { cpu: string; memory: string }; cpuIdle: boolean };
    startupProbe: { httpGet: { path: string; port: number }; failureThreshold: number; periodSeconds: number };
    livenessProbe: { httpGet: { path: string; port: number } };
}

interface Template {
    serviceAccount: string;
    timeout: string;
    scaling: { minInstanceCount: number; maxInstanceCount: number };
    vpcAccess?: { egress: string; networkInterfaces: { network: string; subnetwork: string }[] };
    containers: Container[];
}

function template(run: ProgramRun): Template {
    return run.one(T.service).inputs.template as Template;
}

function container(run: ProgramRun): Container {
    const t = template(run);
    assert.strictEqual(t.containers.length, 1);
    return t.containers[0];
}

function argValue(args: string[], flag: string): string {
    const i = args.indexOf(flag);
    assert.ok(i >= 0, `no ${flag} in ${args.join(" ")}`);
    return args[i + 1];
}

function settings(r: RegisteredResource): Record<string, any> {
    return r.inputs.settings as Record<string, any>;
}

function failure(stack: string, raw: Record<string, unknown>, secrets: SecretKey[] = [], extra: Partial<ParseInput> = {}): string {
    try {
        parseConfig({ project: "mlflow", stack, raw, secretsSet: new Set(secrets), providerConfig: PROVIDER, ...extra });
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return e.message;
    }
    assert.fail("expected the configuration to be refused");
}

/** The problem line of `key`, checked to name what is allowed and the exact fix. */
function problem(message: string, key: string, fixFragment: string): string {
    const line = message.split("\n  - ").find((l) => l.startsWith(`${key}:`));
    assert.ok(line, `no problem for ${key} in:\n${message}`);
    assert.match(line, /Allowed: /);
    assert.match(line, /Fix: pulumi config (set|rm) /);
    assert.ok(line.includes(fixFragment), `fix for ${key} should contain ${JSON.stringify(fixFragment)}:\n${line}`);
    return line;
}

const PYTHON = path.join(ROOT, ".venv", "bin", "python");
const hasPython = fs.existsSync(PYTHON);

function python(args: string[], input?: string, env?: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(PYTHON, args, { input, encoding: "utf8", timeout: 120000, env: env && { ...process.env, ...env } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The `mlflow server` arguments of the contract the program builds from `config` (gcpConfig). */
function contractArgs(stack: string, config: Record<string, unknown>, run: ProgramRun): string[] {
    const raw: Record<string, unknown> = {};
    const secretsSet = new Set<SecretKey>();
    for (const [key, value] of Object.entries(config)) {
        if (!key.startsWith("mlflow:")) continue;
        const name = key.slice("mlflow:".length);
        if (SECRET_KEYS.includes(key)) secretsSet.add(name as SecretKey);
        else raw[name] = value;
    }
    const { spec } = parseConfig({ project: "mlflow", stack, raw, secretsSet, providerConfig: PROVIDER });
    const contract = buildServerContract({
        spec,
        backend: { uri: "postgresql+psycopg2://secret", authUri: "postgresql+psycopg2://secret-auth", oidcUri: "postgresql+psycopg2://secret-oidc", packages: [], singleReplica: false },
        artifacts: {
            destination: `gs://${String(run.one(T.bucket).inputs.name)}/${stack}`,
            env: {},
            secretEnv: {},
            packages: [],
            grant: { access: "read-write", resource: "gs://bucket", prefix: stack, actions: [] },
        },
        platform: gcpPlatformFacts(spec, spec.gcp!, "123456789012"),
        auth: { adminPassword: "secret", flaskSecretKey: "secret" },
    });
    assert.ok(contract.args.every((a) => typeof a === "string"));
    return contract.args as string[];
}

describe("GCP platform", function () {
    this.timeout(120000);

    describe("pure facts", () => {
        const service = gcpNames("mlflow-prod").service;

        it("names fit GCP's rules: Cloud Run service <= 49, service account id 6-30, secret ids", () => {
            assert.strictEqual(service, "mlflow-prod-server");
            assert.strictEqual(gcpServiceAccountId("mlflow-prod", "server"), "mlflow-prod-server");
            const long = "a-very-long-project-name-for-the-ml-platform-team-stack";
            assert.ok(gcpName(long, "server").length <= 49);
            const sa = gcpServiceAccountId(long, "server");
            assert.match(sa, /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/);
            assert.strictEqual(gcpServiceAccountId("ml", "x"), "ml-x-sa");
            assert.strictEqual(secretId("mlflow-prod", "MLFLOW_BACKEND_STORE_URI"), "mlflow-prod-mlflow-backend-store-uri");
        });

        it("the run.app hosts match both of Cloud Run's URLs of this service, and no other host", () => {
            const patterns = allowedHostPatterns([runAppHost(service, "123456789012", REGION), legacyRunAppHostPattern(service)]);
            const ok = (host: string) => patterns.some((p) => fnmatch(host, p));
            assert.ok(ok("mlflow-prod-server-123456789012.europe-west1.run.app"), "deterministic URL");
            assert.ok(ok("mlflow-prod-server-k3x9q2abcd-ew.a.run.app"), "hashed URL");
            assert.ok(ok("mlflow-prod-server-k3x9q2abcd-ew.a.run.app:443"), "with a port");
            for (const host of ["evil.example.com", "mlflow-staging-server-1.europe-west1.run.app", "mlflow-prod-server.attacker.com", "mlflow-prod-server-1.us-east1.run.app"]) {
                assert.ok(!ok(host), `${host} must not match`);
            }
        });

        it("our fnmatch agrees with MLflow's own host and CORS checks (mlflow.server.security_utils)", function () {
            if (!hasPython) this.skip();
            const hosts = allowedHostPatterns([runAppHost(service, "123456789012", REGION), legacyRunAppHostPattern(service)]);
            // Origins are exact: Flask-CORS would read a pattern as a regular expression.
            const origins = [`https://${runAppHost(service, "123456789012", REGION)}`];
            const script = [
                "import json, sys",
                "from mlflow.server.security_utils import is_allowed_host_header, should_block_cors_request",
                "d = json.load(sys.stdin)",
                "print(json.dumps({",
                "  'hosts': [is_allowed_host_header(d['hosts'], h) for h in d['hostCases']],",
                "  'blocked': [should_block_cors_request(o, 'POST', d['origins']) for o in d['originCases']],",
                "}))",
            ].join("\n");
            const hostCases = ["mlflow-prod-server-123456789012.europe-west1.run.app", "mlflow-prod-server-k3x9q2abcd-ew.a.run.app", "evil.example.com"];
            const originCases = ["https://mlflow-prod-server-123456789012.europe-west1.run.app", "https://mlflow-prod-server-k3x9q2abcd-ew.a.run.app", "https://evil.example.com"];
            const r = python(["-c", script], JSON.stringify({ hosts, origins, hostCases, originCases }));
            assert.strictEqual(r.status, 0, r.stderr);
            const out = JSON.parse(r.stdout) as { hosts: boolean[]; blocked: boolean[] };
            assert.deepStrictEqual(out.hosts, [true, true, false]);
            assert.deepStrictEqual(out.blocked, [false, true, true]);
            assert.deepStrictEqual(out.hosts, hostCases.map((h) => hosts.some((p) => fnmatch(h, p))));
        });

        it("the APIs enabled: Cloud Run, Cloud SQL Admin, Secret Manager, Artifact Registry, Service Networking, IAM Credentials", () => {
            const spec = parseConfig({ project: "mlflow", stack: "prod", raw: { platform: "gcp", backend: { type: "cloudsql" }, artifacts: "gcs" }, secretsSet: new Set(), providerConfig: PROVIDER }).spec;
            const apis = requiredApis(spec);
            for (const api of ["run", "sqladmin", "secretmanager", "artifactregistry", "servicenetworking", "compute", "iamcredentials"]) {
                assert.ok(apis.includes(`${api}.googleapis.com`), api);
            }
            assert.ok(!apis.includes("iap.googleapis.com"));
        });

        it("MLflow's GCS artifact store supports proxied multipart upload with the pinned requirements", function () {
            if (!hasPython) this.skip();
            const r = python([
                "-c",
                [
                    "from mlflow.store.artifact.artifact_repo import MultipartUploadMixin",
                    "from mlflow.store.artifact.gcs_artifact_repo import GCSArtifactRepository",
                    "assert issubclass(GCSArtifactRepository, MultipartUploadMixin)",
                    "GCSArtifactRepository._validate_support_mpu()  # google-cloud-storage >= 2.12, google-resumable-media >= 2.6",
                    "print('ok')",
                ].join("\n"),
            ]);
            assert.strictEqual(r.status, 0, r.stderr);
            assert.strictEqual(r.stdout.trim(), "ok");
        });

        it("keyless signed URLs: without the hook google-cloud-storage cannot sign with Cloud Run's token credentials; with it, it signs via IAM signBlob", function () {
            if (!hasPython) this.skip();
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gcp-signing-"));
            try {
                // The hook's directory as the image holds it (the Dockerfile copies the directory whole).
                const hookDir = path.join(dir, KEYLESS_SIGNING_DIR);
                fs.cpSync(path.dirname(KEYLESS_SIGNING_HOOK), hookDir, { recursive: true, filter: (src) => !src.includes("__pycache__") });
                assert.deepStrictEqual(fs.readdirSync(hookDir), ["sitecustomize.py"], "the directory holds the hook only");
                // A sitecustomize of the user's own PYTHONPATH (mlflow:extraEnv), which the hook shadows.
                const userDir = path.join(dir, "user");
                fs.mkdirSync(userDir);
                fs.writeFileSync(path.join(userDir, "sitecustomize.py"), "import os\nos.environ['USER_SITECUSTOMIZE'] = 'ran'\n");
                const check = path.join(dir, "check.py");
                fs.writeFileSync(
                    check,
                    [
                        "import datetime, json, os, sys",
                        "import google.auth.credentials",
                        "import google.cloud.storage._signing as signing",
                        "from google.cloud import storage",
                        "class MetadataToken(google.auth.credentials.Credentials):",
                        "    # like google.auth.compute_engine.Credentials: a token from the metadata server, no key",
                        "    def __init__(self):",
                        "        super().__init__()",
                        "        self._email = 'default'",
                        "    @property",
                        "    def service_account_email(self):",
                        "        return self._email",
                        "    def refresh(self, request):",
                        "        self.token = 'ya29.metadata-token'",
                        "        self._email = 'mlflow-prod-server@acme-ml-123.iam.gserviceaccount.com'",
                        "calls = []",
                        "def sign(string_to_sign, access_token, service_account_email, universe_domain='googleapis.com'):",
                        "    calls.append([access_token, service_account_email])",
                        "    return 'c2lnbmF0dXJl'",
                        "signing._sign_message = sign",
                        "blob = storage.Client(project='p', credentials=MetadataToken()).bucket('b').blob('prod/model.bin')",
                        "user = os.environ.get('USER_SITECUSTOMIZE')",
                        "try:",
                        "    url = blob.generate_signed_url(method='PUT', version='v4', expiration=datetime.timedelta(minutes=60), query_parameters={'partNumber': 1, 'uploadId': 'u'})",
                        "    print(json.dumps({'argv': sys.argv[1:], 'calls': calls, 'signed': 'X-Goog-Signature=' in url, 'user': user}))",
                        "except AttributeError as e:",
                        "    print(json.dumps({'error': str(e)[:40], 'user': user}))",
                    ].join("\n"),
                );
                const run = (pythonPath: string) => {
                    const r = python([check, "--host", "0.0.0.0"], undefined, { PYTHONPATH: pythonPath, PYTHONDONTWRITEBYTECODE: "1" });
                    assert.strictEqual(r.status, 0, r.stderr);
                    return JSON.parse(r.stdout) as { error?: string; argv: string[]; calls: string[][]; signed: boolean; user: string | null };
                };

                // Off the path (every platform but Cloud Run): google-cloud-storage as it is.
                assert.match(run("").error ?? "", /private key to sign/);

                // Cloud Run's PYTHONPATH, with the hook's directory where the image has it.
                const env = keylessSigningEnv(undefined, hookDir);
                assert.strictEqual(env.value, hookDir);
                const out = run(env.value as string);
                assert.deepStrictEqual(out.argv, ["--host", "0.0.0.0"]);
                assert.deepStrictEqual(out.calls, [["ya29.metadata-token", "mlflow-prod-server@acme-ml-123.iam.gserviceaccount.com"]]);
                assert.strictEqual(out.signed, true);
                assert.strictEqual(out.user, null);

                // A PYTHONPATH of the user's comes after the hook, and its sitecustomize still runs.
                const chained = keylessSigningEnv(userDir, hookDir);
                assert.strictEqual(chained.value, `${hookDir}:${userDir}`);
                const both = run(chained.value as string);
                assert.strictEqual(both.signed, true);
                assert.strictEqual(both.user, "ran");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("the image copies the hook's directory to where Cloud Run's PYTHONPATH points, beside the entrypoint, and puts it on no path", () => {
            const dockerfile = fs.readFileSync(path.join(IMAGE_CONTEXT, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
            const instructions = dockerfile
                .split("\n")
                .map((l) => l.trim())
                .filter((l) => l && !l.startsWith("#"));
            const copies = instructions.filter((l) => /^COPY\s/i.test(l)).map((l) => l.split(/\s+/).slice(1));
            const strip = (p: string) => p.replace(/\/+$/, "");
            assert.ok(
                copies.some((c) => c.length === 2 && strip(c[0]) === KEYLESS_SIGNING_DIR && strip(c[1]) === KEYLESS_SIGNING_DIR_IN_IMAGE),
                `no COPY ${KEYLESS_SIGNING_DIR}/ ${KEYLESS_SIGNING_DIR_IN_IMAGE}/ in:\n${instructions.join("\n")}`,
            );
            assert.strictEqual(path.posix.dirname(KEYLESS_SIGNING_DIR_IN_IMAGE), path.posix.dirname(ENTRYPOINT_IN_IMAGE));
            assert.ok(fs.existsSync(KEYLESS_SIGNING_HOOK));
            assert.strictEqual(path.dirname(KEYLESS_SIGNING_HOOK), path.join(IMAGE_CONTEXT, KEYLESS_SIGNING_DIR));
            // Off Python's path by default: no ENV of the image sets PYTHONPATH.
            assert.ok(!instructions.some((l) => /^ENV\s/i.test(l) && l.includes("PYTHONPATH")), "the image sets no PYTHONPATH");
            assert.ok(instructions.includes(`ENTRYPOINT ["python", "${ENTRYPOINT_IN_IMAGE}"]`));
        });
    });

    describe("config", () => {
        it("staging scales to zero, one instance at most, on a small zonal instance; prod keeps one instance, regional HA, backups, PITR", () => {
            const raw = { platform: "gcp", backend: { type: "cloudsql" }, artifacts: "gcs" };
            const staging = parseConfig({ project: "mlflow", stack: "staging", raw, secretsSet: new Set(), providerConfig: PROVIDER }).spec;
            const prod = parseConfig({ project: "mlflow", stack: "prod", raw, secretsSet: new Set(), providerConfig: PROVIDER }).spec;
            assert.deepStrictEqual([staging.gcp?.minInstances, staging.gcp?.maxInstances, prod.gcp?.minInstances, prod.gcp?.maxInstances], [0, 1, 1, 4]);
            assert.deepStrictEqual([staging.gcp?.project, staging.gcp?.region, staging.gcp?.access], [PROJECT, REGION, "public"]);
            assert.ok(staging.backend.type === "cloudsql" && prod.backend.type === "cloudsql");
            if (staging.backend.type === "cloudsql" && prod.backend.type === "cloudsql") {
                assert.deepStrictEqual(
                    [staging.backend.tier, staging.backend.highAvailability, staging.backend.backups, staging.backend.pointInTimeRecovery],
                    ["db-f1-micro", false, false, false],
                );
                assert.deepStrictEqual([prod.backend.tier, prod.backend.highAvailability, prod.backend.backups, prod.backend.pointInTimeRecovery], ["db-custom-1-3840", true, true, true]);
            }
        });

        it("gcp.concurrency: 40 by default, capped at the pool − 1, so no worker's pool runs dry even if it gets every request", () => {
            const base = { platform: "gcp", backend: { type: "cloudsql" }, artifacts: "gcs" };
            const spec = (stack: string, raw: Record<string, unknown>, secrets: SecretKey[] = []) =>
                parseConfig({ project: "mlflow", stack, raw: { ...base, ...raw }, secretsSet: new Set(secrets), providerConfig: PROVIDER }).spec;
            // Staging (db-f1-micro, 22 usable, one instance) and prod (db-custom-1-3840, 97 usable, four
            // instances) both leave one worker a pool of 2 + 3: 4 requests per instance.
            for (const stack of ["staging", "prod"]) {
                const s = spec(stack, {});
                assert.deepStrictEqual([s.workers, s.dbPool], [1, { size: 2, maxOverflow: 3 }], stack);
                assert.strictEqual(requestCap(s.dbPool), 4);
                assert.strictEqual(s.gcp!.concurrency, 4, stack);
            }
            // Two workers on staging's database: 1 + 1 each, and one request per instance (one worker may get it).
            const two = spec("staging", { workers: 2 });
            assert.deepStrictEqual(two.dbPool, { size: 1, maxOverflow: 1 });
            assert.strictEqual(two.gcp!.concurrency, 1);
            // An external PostgreSQL keeps MLflow's 5 + 10: 14 per instance.
            assert.strictEqual(spec("staging", { backend: { type: "postgres", mode: "external" } }, ["postgresUrl"]).gcp!.concurrency, 14);
            // The cap is per instance whatever the workers: 4 workers with 5 + 10 still get 14.
            const roomy = spec("staging", { workers: 4, backend: { type: "cloudsql", tier: "db-custom-2-7680" } });
            assert.deepStrictEqual(roomy.dbPool, { size: 5, maxOverflow: 10 });
            assert.strictEqual(requestCap(roomy.dbPool), 14);
            assert.strictEqual(roomy.gcp!.concurrency, 14);
        });

        it("gcp.concurrency above the cap is refused with the cap as the fix, which parses; at or below the cap it is kept as set", () => {
            const base = { platform: "gcp", backend: { type: "cloudsql" }, artifacts: "gcs" };
            const parse = (raw: Record<string, unknown>) => parseConfig({ project: "mlflow", stack: "staging", raw: { ...base, ...raw }, secretsSet: new Set(), providerConfig: PROVIDER }).spec;
            for (const concurrency of [5, 40, 1000]) {
                const m = failure("staging", { ...base, gcp: { concurrency } });
                assert.strictEqual(m.split("\n  - ").length - 1, 1, `only the concurrency problem:\n${m}`);
                const line = problem(m, "mlflow:gcp.concurrency", "Fix: pulumi config set --path mlflow:gcp.concurrency 4 --stack staging");
                assert.ok(line.startsWith(`mlflow:gcp.concurrency: ${concurrency} requests per instance, but a pool of 2 + 3 per engine serves at most 4 without waiting for a connection`), line);
                assert.match(line, /Allowed: at most 4, or a larger pool/);
                assert.ok(line.endsWith("Fix: pulumi config set --path mlflow:gcp.concurrency 4 --stack staging"), line);
                // The fix, applied: the stack parses with that concurrency.
                assert.strictEqual(parse({ gcp: { concurrency: 4 } }).gcp!.concurrency, 4);
            }
            for (const concurrency of [1, 3, 4]) assert.strictEqual(parse({ gcp: { concurrency } }).gcp!.concurrency, concurrency);
            // As YAML may give it, a string.
            assert.strictEqual(parse({ gcp: { concurrency: "3" } }).gcp!.concurrency, 3);
            // With MLflow's 5 + 10 (a roomy database) the cap is 14, whatever the workers.
            const roomy = { workers: 4, backend: { type: "cloudsql", tier: "db-custom-2-7680" } };
            assert.strictEqual(parse({ ...roomy, gcp: { concurrency: 14 } }).gcp!.concurrency, 14);
            problem(failure("staging", { ...base, ...roomy, gcp: { concurrency: 15 } }), "mlflow:gcp.concurrency", "pulumi config set --path mlflow:gcp.concurrency 14 --stack staging");
        });

        it("SQLite on GCP is refused", () => {
            const m = failure("prod", { platform: "gcp", backend: "sqlite", artifacts: "gcs" });
            problem(m, "mlflow:backend.type", "pulumi config set --path mlflow:backend.type cloudsql --stack prod");
            assert.match(m, /sqlite on platform gcp/);
        });

        it("RDS on GCP is refused, and Cloud SQL off GCP", () => {
            const m = failure("prod", { platform: "gcp", backend: { type: "rds" }, artifacts: "gcs" });
            assert.match(problem(m, "mlflow:backend.type", "mlflow:backend.type cloudsql"), /rds only with platform aws/);
            const m2 = failure("prod", { platform: "docker", backend: { type: "cloudsql" } });
            assert.match(problem(m2, "mlflow:backend.type", "mlflow:backend.type postgres"), /cloudsql only with platform gcp/);
        });

        it("missing project and region name gcp:project and gcp:region", () => {
            const m = failure("staging", { platform: "gcp", backend: { type: "cloudsql" }, artifacts: "gcs" }, [], { providerConfig: {} });
            problem(m, "mlflow:gcp.project", "pulumi config set gcp:project my-project --stack staging");
            problem(m, "mlflow:gcp.region", "pulumi config set gcp:region europe-west1 --stack staging");
            const m2 = failure("staging", { platform: "gcp", backend: { type: "cloudsql" }, artifacts: "gcs" }, [], { providerConfig: { "gcp:project": PROJECT } });
            assert.ok(!m2.includes("mlflow:gcp.project"));
            problem(m2, "mlflow:gcp.region", "gcp:region");
        });

        it("public access without MLflow auth is refused; iam/iap need invokers", () => {
            const base = { platform: "gcp", backend: { type: "cloudsql" }, artifacts: "gcs" };
            const m = failure("staging", { ...base, auth: false });
            assert.match(problem(m, "mlflow:gcp.access", "pulumi config set --path mlflow:gcp.access iam --stack staging"), /anyone on the internet/);
            const m2 = failure("staging", { ...base, auth: false, gcp: { access: "iam" } });
            problem(m2, "mlflow:gcp.invokers", "mlflow:gcp.invokers[0]");
            const ok = parseConfig({ project: "mlflow", stack: "staging", raw: { ...base, auth: false, gcp: { access: "iap", invokers: ["group:ml@example.com"] } }, secretsSet: new Set(), providerConfig: PROVIDER });
            assert.strictEqual(ok.spec.gcp?.access, "iap");
        });

        it("bad sizes and combinations name the key and the fix", () => {
            const base = { platform: "gcp", artifacts: "gcs" };
            const m = failure("prod", { ...base, backend: { type: "cloudsql", backups: false, pointInTimeRecovery: true, tier: "db-custom-3-1024" }, gcp: { cpu: 1, memoryMiB: 8192, minInstances: 5, maxInstances: 2, ingress: "everyone" } });
            problem(m, "mlflow:backend.pointInTimeRecovery", "mlflow:backend.backups true");
            problem(m, "mlflow:backend.tier", "db-custom-1-3840");
            problem(m, "mlflow:gcp.memoryMiB", "mlflow:gcp.memoryMiB");
            problem(m, "mlflow:gcp.minInstances", "mlflow:gcp.maxInstances 5");
            assert.match(problem(m, "mlflow:gcp.ingress", "mlflow:gcp.ingress all"), /all \| internal \| internal-and-cloud-load-balancing/);
            const m2 = failure("prod", { ...base, backend: { type: "cloudsql" }, gcp: { network: "shared-vpc", bogus: 1 } });
            problem(m2, "mlflow:gcp.subnetwork", "mlflow:gcp.subnetwork");
            problem(m2, "mlflow:gcp.bogus", "pulumi config rm --path mlflow:gcp.bogus");
        });
    });

    describe("under mocks", () => {
        const runs: Record<string, ProgramRun> = {};

        before(async () => {
            for (const stack of ["staging", "prod"]) {
                runs[stack] = await runProgram(stack, gcpConfig(), SECRET_KEYS);
            }
        });

        it("prod plans the expected resources", () => {
            const run = runs.prod;
            const counts: Record<string, number> = {};
            for (const r of run.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
            const expected: [string, number][] = [
                [T.service, 1],
                [T.sql, 1],
                [T.database, 2],
                [T.user, 1],
                [T.secret, 4],
                [T.secretVersion, 4],
                [T.secretIam, 4],
                [T.bucket, 1],
                [T.bucketIam, 1],
                [T.saIam, 1],
                // The server's, and the one Cloud Scheduler starts the gc job as.
                [T.account, 2],
                [T.repo, 1],
                [T.image, 1],
                [T.network, 1],
                [T.subnet, 1],
                [T.range, 1],
                [T.peering, 1],
                [T.invoker, 1],
            ];
            for (const [type, n] of expected) {
                assert.strictEqual(counts[type] ?? 0, n, `${type}: ${counts[type] ?? 0}`);
            }
            assert.ok((counts[T.api] ?? 0) >= 8, "APIs enabled");
            for (const type of ["mlflow:platform:GcpApis", "mlflow:platform:GcpNetwork", "mlflow:backend:CloudSql", "mlflow:artifacts:Gcs", "mlflow:platform:GcpIdentity", "mlflow:platform:GcpSecrets", "mlflow:platform:GcpImage", "mlflow:platform:GcpCloudRun"]) {
                assert.strictEqual(run.byType(type).length, 1, type);
            }
            for (const r of run.resources) {
                assert.ok(r.name === "mlflow-prod" || r.name.startsWith("mlflow-prod-"), `${r.type} ${r.name} is named after project and stack`);
            }
            assert.strictEqual(run.outputs.databaseEndpoint, "10.20.0.3:5432");
            assert.strictEqual(run.outputs.url, "https://mlflow-prod-server-123456789012.europe-west1.run.app");
            assert.match(String(run.outputs.artifactStore), /^gs:\/\/mlflow-prod-artifacts-k3x9q2ab$/);
            assert.match(String(run.outputs.logs), /^https:\/\/console\.cloud\.google\.com\/logs\/query;.*cloud_run_revision.*mlflow-prod-server.*project=acme-ml-123$/);
            assert.ok(run.secretOutputs.has("adminPassword"));
            assert.ok(!run.secretOutputs.has("url"));
        });

        it("Cloud SQL: private IP only, TLS, pinned PostgreSQL; prod: backups, PITR, regional HA, deletion protection, protect", () => {
            for (const stack of ["staging", "prod"]) {
                const prod = stack === "prod";
                const sql = runs[stack].one(T.sql);
                const s = settings(sql);
                assert.strictEqual(sql.inputs.databaseVersion, "POSTGRES_17");
                assert.strictEqual(s.ipConfiguration.ipv4Enabled, false, "no public IP");
                assert.strictEqual(s.ipConfiguration.privateNetwork, "mlflow-" + stack + "-network-vpc-id");
                assert.strictEqual(s.ipConfiguration.sslMode, "ENCRYPTED_ONLY");
                assert.ok(!("authorizedNetworks" in s.ipConfiguration));
                assert.strictEqual(s.edition, "ENTERPRISE");
                assert.strictEqual(s.tier, prod ? "db-custom-1-3840" : "db-f1-micro");
                assert.strictEqual(s.availabilityType, prod ? "REGIONAL" : "ZONAL");
                assert.strictEqual(s.backupConfiguration.enabled, prod);
                assert.strictEqual(s.backupConfiguration.pointInTimeRecoveryEnabled, prod);
                assert.strictEqual(sql.inputs.deletionProtection, prod);
                assert.strictEqual(s.deletionProtectionEnabled, prod);
                assert.strictEqual(sql.options.protect, prod, `${stack}: protect`);
                assert.strictEqual(sql.options.retainOnDelete, prod, `${stack}: retainOnDelete`);
                const dbs = runs[stack].byType(T.database).map((d) => d.inputs.name).sort();
                assert.deepStrictEqual(dbs, ["mlflow", "mlflow_auth"]);
                const user = runs[stack].one(T.user);
                assert.strictEqual(user.inputs.name, "mlflow");
                assert.deepStrictEqual(plainStrings(user.inputs.password), [], "the DB password is a secret");
                assert.ok(allStrings(user.inputs.password).includes(DB_PASSWORD), "mlflow:dbPassword is used");
            }
            // The private services peering exists before the instance asks for a private IP.
            const peering = runs.prod.one(T.peering);
            assert.deepStrictEqual(peering.inputs.reservedPeeringRanges, ["mlflow-prod-google-services"]);
            assert.strictEqual(runs.prod.one(T.range).inputs.purpose, "VPC_PEERING");
        });

        it("the artifact bucket is private, protected on prod, and the server may only use its objects", () => {
            for (const stack of ["staging", "prod"]) {
                const run = runs[stack];
                const bucket = run.one(T.bucket);
                assert.strictEqual(bucket.inputs.publicAccessPrevention, "enforced");
                assert.strictEqual(bucket.options.protect, stack === "prod");
                assert.strictEqual(bucket.options.retainOnDelete, stack === "prod");
                const grant = run.one(T.bucketIam);
                assert.strictEqual(grant.inputs.bucket, bucket.inputs.name);
                assert.strictEqual(grant.inputs.role, "roles/storage.objectUser");
                assert.strictEqual(grant.inputs.member, `serviceAccount:mlflow-${stack}-server@${PROJECT}.iam.gserviceaccount.com`);
                // No project-wide grant anywhere.
                assert.strictEqual(run.byType("gcp:projects/iAMMember:IAMMember").length, 0);
                assert.strictEqual(run.byType("gcp:projects/iAMBinding:IAMBinding").length, 0);
                // Signing blobs for multipart upload URLs: on its own account only.
                const signer = run.one(T.saIam);
                assert.strictEqual(signer.inputs.role, "roles/iam.serviceAccountTokenCreator");
                assert.strictEqual(signer.inputs.serviceAccountId, `projects/${PROJECT}/serviceAccounts/mlflow-${stack}-server@${PROJECT}.iam.gserviceaccount.com`);
                assert.strictEqual(signer.inputs.member, `serviceAccount:mlflow-${stack}-server@${PROJECT}.iam.gserviceaccount.com`);
            }
        });

        it("secrets: in Secret Manager only, each readable by the server's account alone, reaching the service as references", () => {
            const run = runs.prod;
            const c = container(run);
            const secretEnvs = c.envs.filter((e) => e.valueSource).map((e) => e.name).sort();
            assert.deepStrictEqual(secretEnvs, ["MLFLOW_AUTH_ADMIN_PASSWORD", "MLFLOW_AUTH_DATABASE_URI", "MLFLOW_BACKEND_STORE_URI", "MLFLOW_FLASK_SERVER_SECRET_KEY"]);
            for (const e of c.envs.filter((x) => x.valueSource)) {
                assert.strictEqual(e.value, undefined);
                assert.strictEqual(e.valueSource!.secretKeyRef.secret, `mlflow-prod-${e.name.toLowerCase().replace(/_/g, "-")}`);
                assert.strictEqual(e.valueSource!.secretKeyRef.version, "1");
            }
            const ids = run.byType(T.secret).map((s) => s.inputs.secretId).sort();
            assert.deepStrictEqual(ids, secretEnvs.map((e) => `mlflow-prod-${e.toLowerCase().replace(/_/g, "-")}`).sort());
            for (const s of run.byType(T.secret)) {
                assert.deepStrictEqual(s.inputs.replication, { userManaged: { replicas: [{ location: REGION }] } });
            }
            const grants = run.byType(T.secretIam);
            assert.deepStrictEqual(grants.map((g) => g.inputs.secretId).sort(), ids);
            for (const g of grants) {
                assert.strictEqual(g.inputs.role, "roles/secretmanager.secretAccessor");
                assert.strictEqual(g.inputs.member, `serviceAccount:mlflow-prod-server@${PROJECT}.iam.gserviceaccount.com`);
            }
            for (const v of run.byType(T.secretVersion)) {
                assert.deepStrictEqual(plainStrings(v.inputs.secretData), [], "secret data stays secret");
            }
            const uri = run.byType(T.secretVersion).find((v) => v.name.includes("backend-store-uri"));
            const value = allStrings(uri!.inputs.secretData)[0];
            assert.ok(value.startsWith("postgresql+psycopg2://mlflow:") && value.endsWith("@10.20.0.3:5432/mlflow?sslmode=require"), "backend URI with TLS");
            assert.ok(value.includes(encodeURIComponent(DB_PASSWORD).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)));

            // No secret value in any plain input of any resource.
            const secretsSeen = [ADMIN_PASSWORD, DB_PASSWORD, encodeURIComponent(DB_PASSWORD), "generated mlflow-prod-flask-secret-key"];
            for (const r of run.resources) {
                for (const s of plainStrings(r.inputs)) {
                    for (const secret of secretsSeen) {
                        assert.ok(!s.includes(secret), `${r.type} ${r.name} has a secret in a plain input`);
                    }
                }
            }
        });

        it("Cloud Run: the contract's args, probes on /health, scaling, timeout, resources, Direct VPC egress, own service account", () => {
            for (const stack of ["staging", "prod"]) {
                const run = runs[stack];
                const svc = run.one(T.service);
                const t = template(run);
                const c = container(run);
                assert.strictEqual(svc.inputs.name, `mlflow-${stack}-server`);
                assert.strictEqual(svc.inputs.location, REGION);
                assert.strictEqual(svc.inputs.ingress, "INGRESS_TRAFFIC_ALL");
                assert.strictEqual(svc.inputs.deletionProtection, stack === "prod");
                assert.strictEqual(t.serviceAccount, `mlflow-${stack}-server@${PROJECT}.iam.gserviceaccount.com`);
                assert.deepStrictEqual(t.scaling, stack === "prod" ? { minInstanceCount: 1, maxInstanceCount: 4 } : { minInstanceCount: 0, maxInstanceCount: 1 });
                assert.strictEqual(t.timeout, "900s");
                assert.deepStrictEqual(t.vpcAccess, { egress: "PRIVATE_RANGES_ONLY", networkInterfaces: [{ network: `mlflow-${stack}-vpc`, subnetwork: `mlflow-${stack}-run-egress` }] });
                // One worker with auth uses 431 MiB under load (footprint.ts): 30% more, in 256 MiB steps.
                assert.deepStrictEqual(c.resources.limits, { cpu: "1", memory: "768Mi" });
                assert.deepStrictEqual(c.ports, { containerPort: 5000, name: "http1" });
                assert.deepStrictEqual(c.startupProbe.httpGet, { path: "/health", port: 5000 });
                assert.deepStrictEqual(c.livenessProbe.httpGet, { path: "/health", port: 5000 });
                assert.ok(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds >= 240, "time for a schema migration at startup");
                // The image's own entrypoint with the contract's arguments; the keyless-signing hook by PYTHONPATH.
                assert.strictEqual(c.commands, undefined, "no command override");
                assert.deepStrictEqual(c.args, contractArgs(stack, gcpConfig(), run));
                assert.deepStrictEqual(
                    c.envs.filter((e) => e.name === "PYTHONPATH"),
                    [{ name: "PYTHONPATH", value: "/opt/mlflow-deploy/gcp_keyless_signing" }],
                );
                // Built image, pushed to the stack's Artifact Registry repository.
                const image = run.one(T.image);
                assert.match(String(image.inputs.imageName), new RegExp(`^europe-west1-docker\\.pkg\\.dev/${PROJECT}/mlflow-${stack}-images/mlflow-server:3\\.17\\.2-[0-9a-f]{12}$`));
                // The registry login holds the deployer's access token: secret as a whole.
                assert.deepStrictEqual(plainStrings(image.inputs.registry), [], "the registry token is a secret");
                const registry = (isSecretValue(image.inputs.registry) ? image.inputs.registry.value : image.inputs.registry) as { server: string; username: string; password: unknown };
                assert.deepStrictEqual([registry.server, registry.username], ["europe-west1-docker.pkg.dev", "oauth2accesstoken"]);
                assert.ok(allStrings(registry.password).includes("mock-gcp-access-token"));
                assert.strictEqual((image.inputs.build as { platform: string }).platform, "linux/amd64");
                assert.strictEqual(run.one(T.repo).inputs.format, "DOCKER");
            }
        });

        it("Cloud Run gives each instance no more requests than its pools serve: maxInstanceRequestConcurrency is the capped gcp.concurrency", () => {
            for (const stack of ["staging", "prod"]) {
                const spec = parseConfig({ project: "mlflow", stack, raw: { platform: "gcp", backend: { type: "cloudsql" }, artifacts: { type: "gcs" } }, secretsSet: new Set(), providerConfig: PROVIDER }).spec;
                const concurrency = (runs[stack].one(T.service).inputs.template as { maxInstanceRequestConcurrency: number }).maxInstanceRequestConcurrency;
                // One worker with a pool of 2 + 3 per engine: 4, not Cloud Run's default of 80 nor gcp.concurrency's 40.
                assert.strictEqual(concurrency, 4, stack);
                assert.strictEqual(concurrency, spec.gcp!.concurrency, stack);
                assert.strictEqual(concurrency, requestCap(spec.dbPool), stack);
                const env = Object.fromEntries(container(runs[stack]).envs.map((e) => [e.name, e.value]));
                assert.deepStrictEqual([env.MLFLOW_SQLALCHEMYSTORE_POOL_SIZE, env.MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW], ["2", "3"], stack);
            }
        });

        it("MLflow's allowed hosts cover the run.app URLs, CORS origins name the URL exactly, auth on, proxied GCS artifacts", () => {
            const c = container(runs.prod);
            const args = c.args;
            const hosts = argValue(args, "--allowed-hosts").split(",");
            for (const p of ["mlflow-prod-server-123456789012.europe-west1.run.app", "mlflow-prod-server-123456789012.europe-west1.run.app:*", "mlflow-prod-server-*.a.run.app", "mlflow-prod-server-*.a.run.app:*"]) {
                assert.ok(hosts.includes(p), p);
            }
            // The deployed URL matches, so the UI is not answered with 403.
            assert.ok(hosts.includes(new URL(String(runs.prod.outputs.url)).host));
            const origins = argValue(args, "--cors-allowed-origins").split(",");
            assert.deepStrictEqual(origins, [String(runs.prod.outputs.url)]);
            assert.ok(!origins.some((o) => o.includes("*")), "no origin pattern (Flask-CORS reads it as a regex)");
            assert.strictEqual(argValue(args, "--app-name"), "basic-auth");
            assert.match(argValue(args, "--artifacts-destination"), /^gs:\/\/mlflow-prod-artifacts-k3x9q2ab\/prod$/);
            assert.ok(!args.includes("--default-artifact-root"));
            assert.ok(!args.some((a) => a.includes("postgresql")), "no URI on the command line");
            const plain = Object.fromEntries(c.envs.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
            assert.strictEqual(plain.MLFLOW_AUTH_ADMIN_USERNAME, "admin");
            assert.ok(!("GOOGLE_APPLICATION_CREDENTIALS" in plain) && !("MLFLOW_GCP_CREDENTIALS_JSON" in plain), "keyless");
        });

        it("public access: allUsers may invoke only because MLflow's basic auth is on", () => {
            for (const stack of ["staging", "prod"]) {
                const invokers = runs[stack].byType(T.invoker);
                assert.deepStrictEqual(invokers.map((i) => i.inputs.member), ["allUsers"]);
                assert.ok(argValue(container(runs[stack]).args, "--app-name") === "basic-auth");
            }
        });
    });

    describe("under mocks: other shapes", () => {
        it("access iam: no allUsers, run.invoker for the configured members; MLflow auth may be off", async () => {
            const run = await runProgram("staging", gcpConfig({ "mlflow:auth": "false", "mlflow:gcp": { access: "iam", invokers: ["group:ml@example.com", "user:ana@example.com"], ingress: "internal-and-cloud-load-balancing" } }), SECRET_KEYS);
            const members = run.byType(T.invoker).map((i) => i.inputs.member);
            assert.deepStrictEqual(members, ["group:ml@example.com", "user:ana@example.com"]);
            for (const r of run.resources) {
                assert.ok(!allStrings(r.inputs).includes("allUsers"), `${r.type} ${r.name} grants allUsers`);
            }
            assert.strictEqual(run.one(T.service).inputs.ingress, "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER");
            assert.ok(!container(run).args.includes("--app-name"));
            assert.deepStrictEqual(container(run).envs.filter((e) => e.valueSource).map((e) => e.name), ["MLFLOW_BACKEND_STORE_URI"]);
        });

        it("access iap: IAP on the service, its service agent invokes, the members pass IAP", async () => {
            const run = await runProgram("prod", gcpConfig({ "mlflow:gcp": { access: "iap", invokers: ["domain:example.com"], customDomain: "mlflow.example.com" } }), SECRET_KEYS);
            assert.strictEqual(run.one(T.service).inputs.iapEnabled, true);
            assert.deepStrictEqual(run.byType(T.invoker).map((i) => i.inputs.member), ["serviceAccount:service-123456789012@gcp-sa-iap.iam.gserviceaccount.com"]);
            const iap = run.one(T.iapMember);
            assert.deepStrictEqual([iap.inputs.role, iap.inputs.member], ["roles/iap.httpsResourceAccessor", "domain:example.com"]);
            assert.ok(run.byType(T.api).some((a) => a.inputs.service === "iap.googleapis.com"));
            // The custom domain: mapped, served, allowed.
            assert.strictEqual(run.one(T.domain).inputs.name, "mlflow.example.com");
            assert.strictEqual(run.outputs.url, "https://mlflow.example.com");
            const args = container(run).args;
            assert.ok(argValue(args, "--allowed-hosts").split(",").includes("mlflow.example.com"));
            assert.ok(argValue(args, "--cors-allowed-origins").split(",").includes("https://mlflow.example.com"));
        });

        it("a PYTHONPATH of mlflow:extraEnv goes after the keyless-signing hook's directory, once", async () => {
            const config = gcpConfig({ "mlflow:extraEnv": { PYTHONPATH: "/opt/team/site", MLFLOW_LOGGING_LEVEL: "DEBUG" } });
            const run = await runProgram("staging", config, SECRET_KEYS);
            const c = container(run);
            assert.strictEqual(c.commands, undefined);
            assert.deepStrictEqual(c.args, contractArgs("staging", config, run));
            assert.deepStrictEqual(
                c.envs.filter((e) => e.name === "PYTHONPATH"),
                [{ name: "PYTHONPATH", value: "/opt/mlflow-deploy/gcp_keyless_signing:/opt/team/site" }],
            );
            assert.ok(c.envs.some((e) => e.name === "MLFLOW_LOGGING_LEVEL" && e.value === "DEBUG"));
        });

        it("external PostgreSQL and a prebuilt image: no Cloud SQL, no network, no build", async () => {
            const run = await runProgram(
                "staging",
                gcpConfig({
                    "mlflow:backend": { type: "postgres", mode: "external" },
                    "mlflow:postgresUrl": "postgresql://ml:s3cr%40t@db.example.com:5432/mlflow?sslmode=require",
                    "mlflow:image": `${REGION}-docker.pkg.dev/${PROJECT}/team/mlflow:3.17.2-1`,
                }),
                SECRET_KEYS,
            );
            for (const type of [T.sql, T.network, T.peering, T.image, T.repo]) {
                assert.strictEqual(run.byType(type).length, 0, type);
            }
            const t = template(run);
            assert.strictEqual(t.vpcAccess, undefined);
            assert.strictEqual(t.containers[0].image, `${REGION}-docker.pkg.dev/${PROJECT}/team/mlflow:3.17.2-1`);
            const uri = run.byType(T.secretVersion).find((v) => v.name.includes("backend-store-uri"));
            assert.deepStrictEqual(plainStrings(uri!.inputs.secretData), []);
            assert.strictEqual(allStrings(uri!.inputs.secretData)[0], "postgresql+psycopg2://ml:s3cr%40t@db.example.com:5432/mlflow?sslmode=require");
            for (const r of run.resources) {
                assert.ok(!plainStrings(r.inputs).some((s) => s.includes("s3cr%40t")), `${r.type} ${r.name} shows the URL`);
            }
        });
    });
});
