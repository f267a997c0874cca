import * as assert from "assert";
import { ConfigError } from "../../components/config/problems";
import { parseConfig, ParseInput, SecretKey } from "../../components/config/parse";
import { MLFLOW_VERSION } from "../../components/versions";

function input(stack: string, raw: Record<string, unknown>, secrets: SecretKey[] = [], extra: Partial<ParseInput> = {}): ParseInput {
    return { project: "mlflow", stack, raw, secretsSet: new Set(secrets), ...extra };
}

/** Parses and expects a ConfigError; returns its message. */
function failure(stack: string, raw: Record<string, unknown>, secrets: SecretKey[] = [], extra: Partial<ParseInput> = {}): string {
    try {
        parseConfig(input(stack, raw, secrets, extra));
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
        return e.message;
    }
    assert.fail("expected the configuration to be refused");
}

/** Every problem line names the key, what was given, what is allowed and a fix command. */
function assertWellFormed(message: string, key: string, fixFragment: string): void {
    const line = message.split("\n  - ").find((l) => l.startsWith(`${key}:`));
    assert.ok(line, `no problem for ${key} in:\n${message}`);
    assert.match(line, /Allowed: /);
    assert.match(line, /Fix: pulumi config (set|rm) /);
    assert.ok(line.includes(fixFragment), `fix for ${key} should contain ${JSON.stringify(fixFragment)}:\n${line}`);
}

describe("stack configuration", () => {
    it("mlflow:protectData must be true or false, with the fix command", () => {
        const message = failure("staging", { protectData: "maybe" });
        assertWellFormed(message, "mlflow:protectData", "pulumi config set mlflow:protectData false --stack staging");
        assert.strictEqual(parseConfig(input("staging", { protectData: "true" })).spec.protectData, true);
        assert.strictEqual(parseConfig(input("prod", { protectData: false, platform: "docker", backend: { type: "sqlite" }, artifacts: { type: "local" } })).spec.protectData, false);
    });

    describe("defaults", () => {
        it("dev: docker, port 5000, sqlite on the volume, local artifacts, auth off, pinned MLflow", () => {
            const { spec } = parseConfig(input("dev", {}));
            assert.strictEqual(spec.platform, "docker");
            assert.strictEqual(spec.port, 5000);
            assert.deepStrictEqual(spec.backend, { type: "sqlite", path: "/mlflow/mlflow.db" });
            assert.deepStrictEqual(spec.artifacts, { type: "local", path: "/mlflow/artifacts", prefix: "dev" });
            assert.strictEqual(spec.auth.enabled, false);
            assert.strictEqual(spec.mlflowVersion, MLFLOW_VERSION);
            assert.strictEqual(spec.namePrefix, "mlflow-dev");
            assert.strictEqual(spec.protectData, false);
        });

        it("staging and prod: own ports, auth on, prod protects data", () => {
            const staging = parseConfig(input("staging", {})).spec;
            const prod = parseConfig(input("prod", {})).spec;
            assert.deepStrictEqual([staging.port, prod.port], [5001, 5002]);
            assert.deepStrictEqual([staging.auth.enabled, prod.auth.enabled], [true, true]);
            assert.deepStrictEqual([staging.protectData, prod.protectData], [false, true]);
        });

        it("accepts values as Pulumi passes them: strings and JSON", () => {
            const { spec } = parseConfig(
                input("dev", {
                    port: "6000",
                    workers: "3",
                    auth: "true",
                    backend: '{"type":"postgres","mode":"container"}',
                    artifacts: "s3",
                    allowedHosts: '["mlflow.example.com"]',
                    extraArgs: '["--static-prefix","/mlflow"]',
                    extraEnv: '{"MLFLOW_LOGGING_LEVEL":"DEBUG"}',
                }),
            );
            assert.strictEqual(spec.port, 6000);
            assert.strictEqual(spec.workers, 3);
            assert.strictEqual(spec.auth.enabled, true);
            assert.strictEqual(spec.backend.type, "postgres");
            assert.strictEqual(spec.artifacts.type, "s3");
            assert.deepStrictEqual(spec.allowedHosts, ["mlflow.example.com"]);
            assert.deepStrictEqual(spec.extraArgs, ["--static-prefix", "/mlflow"]);
            assert.deepStrictEqual(spec.extraEnv, { MLFLOW_LOGGING_LEVEL: "DEBUG" });
        });

        it("treats Pulumi.yaml's empty-string defaults as unset", () => {
            const { spec } = parseConfig(input("dev", { image: "", publicHost: "", allowedHosts: "[]" }));
            assert.strictEqual(spec.image, undefined);
            assert.strictEqual(spec.publicHost, "localhost");
        });

        it("takes the public host from a remote docker:host", () => {
            const { spec } = parseConfig(input("dev", {}, [], { dockerHost: "ssh://deploy@mlflow-vm.internal" }));
            assert.strictEqual(spec.publicHost, "mlflow-vm.internal");
        });

        it("postgres is external when mlflow:postgresUrl is set", () => {
            const { spec } = parseConfig(input("dev", { backend: { type: "postgres" } }, ["postgresUrl"], { secretValues: { postgresUrl: "postgresql://u:p@db:5432/mlflow" } }));
            assert.deepStrictEqual(spec.backend, { type: "postgres", mode: "external", database: "mlflow", authDatabase: "mlflow_auth", user: "mlflow" });
        });
    });

    describe("errors (each names key, value, allowed values and the fixing command)", () => {
        it("unknown platform", () => {
            const m = failure("dev", { platform: "heroku" });
            assert.match(m, /mlflow:platform: got "heroku"/);
            assertWellFormed(m, "mlflow:platform", "pulumi config set mlflow:platform docker --stack dev");
        });

        const regionKeys: Record<string, [string, string][]> = {
            aws: [["mlflow:aws", "pulumi config set aws:region"]],
            azure: [["mlflow:azure.location", "pulumi config set azure-native:location"]],
            gcp: [
                ["mlflow:gcp.project", "pulumi config set gcp:project"],
                ["mlflow:gcp.region", "pulumi config set gcp:region"],
            ],
        };
        for (const [platform, keys] of Object.entries(regionKeys)) {
            it(`platform ${platform} without its region/project names the provider key to set`, () => {
                const artifacts = { aws: "s3", azure: "azure-blob", gcp: "gcs" }[platform];
                const m = failure("staging", { platform, backend: { type: "postgres", mode: "external" }, artifacts }, ["postgresUrl"]);
                for (const [key, fix] of keys) {
                    assertWellFormed(m, key, fix);
                }
            });
        }

        it("a store of another cloud needs keys on a cloud platform", () => {
            const m = failure("staging", { platform: "gcp", backend: { type: "postgres", mode: "external" }, artifacts: "s3" }, ["postgresUrl"], {
                providerConfig: { "gcp:project": "my-project-1", "gcp:region": "europe-west1" },
            });
            assertWellFormed(m, "mlflow:awsAccessKeyId", "--secret mlflow:awsAccessKeyId");
        });

        it("settings of another platform are refused", () => {
            const m = failure("dev", { aws: { cpu: 1024 } });
            assertWellFormed(m, "mlflow:aws", "pulumi config rm mlflow:aws");
        });

        it("unknown backend type", () => {
            const m = failure("dev", { backend: { type: "mysql" } });
            assert.match(m, /mlflow:backend.type: got "mysql". Allowed: sqlite \| postgres \| rds/);
            assertWellFormed(m, "mlflow:backend.type", "pulumi config set --path mlflow:backend.type sqlite --stack dev");
        });

        it("unknown artifact type", () => {
            const m = failure("dev", { artifacts: { type: "ftp" } });
            assert.match(m, /mlflow:artifacts.type: got "ftp". Allowed: local \| s3 \| azure-blob \| gcs/);
            assertWellFormed(m, "mlflow:artifacts.type", "--path mlflow:artifacts.type local");
        });

        for (const port of [0, 70000, "http", -1, 5000.5]) {
            it(`port out of range: ${JSON.stringify(port)}`, () => {
                const m = failure("staging", { port });
                assertWellFormed(m, "mlflow:port", "pulumi config set mlflow:port 5001 --stack staging");
            });
        }

        it("SQLite on a serverless platform", () => {
            const m = failure("prod", { platform: "gcp", backend: "sqlite", artifacts: "gcs" });
            assert.match(m, /mlflow:backend.type: sqlite on platform gcp/);
            assert.match(m, /database is locked/);
            assertWellFormed(m, "mlflow:backend.type", "pulumi config set --path mlflow:backend.type cloudsql --stack prod");
        });

        it("RDS off AWS", () => {
            const m = failure("dev", { backend: { type: "rds" } });
            assert.match(m, /mlflow:backend.type: rds on platform docker. Allowed: rds only with platform aws/);
            assertWellFormed(m, "mlflow:backend.type", "mlflow:backend.type postgres");
        });

        it("local artifacts off Docker", () => {
            const m = failure("prod", { platform: "azure", backend: { type: "postgres", mode: "external" }, artifacts: { type: "local" } }, ["postgresUrl"]);
            assert.match(m, /mlflow:artifacts.type: local on platform azure/);
            assertWellFormed(m, "mlflow:artifacts.type", "mlflow:artifacts.type azure-blob");
        });

        it("a PostgreSQL container off Docker", () => {
            const m = failure("prod", { platform: "aws", backend: { type: "postgres", mode: "container" }, artifacts: "s3" });
            assertWellFormed(m, "mlflow:backend.mode", "mlflow:backend.type rds");
        });

        it("malformed extra args: a value without its flag", () => {
            const m = failure("dev", { extraArgs: ["/mlflow", "--static-prefix"] });
            assert.match(m, /mlflow:extraArgs\[0\]: "\/mlflow" is a value without a flag before it/);
            assertWellFormed(m, "mlflow:extraArgs[0]", "pulumi config rm --path 'mlflow:extraArgs[0]' --stack dev");
        });

        it("malformed extra args: not a list, short flags, bad flag names", () => {
            assertWellFormed(failure("dev", { extraArgs: "--static-prefix /mlflow" }), "mlflow:extraArgs", "pulumi config set");
            assertWellFormed(failure("dev", { extraArgs: ["-x"] }), "mlflow:extraArgs[0]", "config rm");
            assertWellFormed(failure("dev", { extraArgs: ["--Bad_Flag"] }), "mlflow:extraArgs[0]", "config rm");
            assertWellFormed(failure("dev", { extraArgs: [5] }), "mlflow:extraArgs[0]", "config rm");
        });

        for (const arg of ["--host", "--port=5005", "--backend-store-uri", "--default-artifact-root", "--artifacts-destination", "--workers", "--allowed-hosts", "--app-name"]) {
            it(`extra args that clash with the program's own: ${arg}`, () => {
                const m = failure("dev", { extraArgs: [arg, "x"].slice(0, arg.includes("=") ? 1 : 2) });
                assert.match(m, /is set by the program/);
                assertWellFormed(m, "mlflow:extraArgs[0]", "config rm");
            });
        }

        it("refuses --disable-security-middleware and names the real fix", () => {
            const m = failure("dev", { extraArgs: ["--disable-security-middleware"] });
            assert.match(m, /is refused. Allowed: never: .*mlflow:allowedHosts/);
        });

        for (const workers of [0, -2, "many", 100]) {
            it(`worker count out of range: ${JSON.stringify(workers)}`, () => {
                assertWellFormed(failure("dev", { workers }), "mlflow:workers", "pulumi config set mlflow:workers 2 --stack dev");
            });
        }

        it("extra env that clashes with the program's own, or is malformed", () => {
            const m = failure("dev", { extraEnv: { MLFLOW_BACKEND_STORE_URI: "sqlite:///x.db", "1BAD": "x", OK: { nested: true } } });
            assert.match(m, /mlflow:extraEnv.MLFLOW_BACKEND_STORE_URI: MLFLOW_BACKEND_STORE_URI is set by the program/);
            assert.match(m, /mlflow:extraEnv.1BAD: "1BAD" is not a valid variable name/);
            assert.match(m, /mlflow:extraEnv.OK: got/);
        });

        it("MLflow version: not pinned, too old, or latest", () => {
            for (const v of ["latest", "2.22.0", "3.4.0", "3.17"]) {
                assertWellFormed(failure("dev", { mlflowVersion: v }), "mlflow:mlflowVersion", `pulumi config set mlflow:mlflowVersion ${MLFLOW_VERSION}`);
            }
        });

        it("allowed hosts and CORS origins: wildcards that turn the protection off", () => {
            assert.match(failure("dev", { allowedHosts: ["*"] }), /mlflow:allowedHosts\[0\]: "\*" turns off/);
            assert.match(failure("dev", { corsAllowedOrigins: ["*"] }), /mlflow:corsAllowedOrigins\[0\]: "\*" lets any web site/);
            assertWellFormed(failure("dev", { corsAllowedOrigins: ["mlflow.example.com"] }), "mlflow:corsAllowedOrigins[0]", "https://mlflow.example.com");
        });

        it("a typo in a key or a field suggests the right one", () => {
            const m = failure("dev", { prot: 5000, backend: { type: "sqlite", pth: "/mlflow/x.db" } });
            assert.match(m, /mlflow:prot: is not a key this program reads. Allowed: did you mean mlflow:port\?/);
            assert.match(m, /mlflow:backend.pth: is not a field of backend type "sqlite". Allowed: did you mean path\?/);
        });

        it("SQLite or local artifacts outside the data volume would be lost", () => {
            assert.match(failure("dev", { backend: { type: "sqlite", path: "/tmp/mlflow.db" } }), /outside the data volume/);
            assert.match(failure("dev", { artifacts: { type: "local", path: "/srv/artifacts" } }), /outside the data volume/);
        });

        it("postgres external without its URL, or container with a URL", () => {
            assertWellFormed(failure("dev", { backend: { type: "postgres", mode: "external" } }), "mlflow:postgresUrl", "pulumi config set --secret mlflow:postgresUrl");
            assertWellFormed(failure("dev", { backend: { type: "postgres", mode: "container" } }, ["postgresUrl"]), "mlflow:backend.mode", "mlflow:backend.mode external");
        });

        it("a malformed postgres URL is reported without showing it", () => {
            const secret = "mysql://root:hunter2@db/x";
            const m = failure("dev", { backend: "postgres" }, ["postgresUrl"], { secretValues: { postgresUrl: secret } });
            assert.match(m, /mlflow:postgresUrl: \(value hidden\)/);
            assert.ok(!m.includes("hunter2"), "the message must not show the secret");
        });

        it("a secret key stored in plain text", () => {
            const m = failure("dev", {}, ["adminPassword"], { plaintextSecrets: new Set<SecretKey>(["adminPassword"]) });
            assertWellFormed(m, "mlflow:adminPassword", "pulumi config set --secret mlflow:adminPassword");
        });

        it("half an AWS key pair", () => {
            assertWellFormed(failure("dev", { artifacts: "s3" }, ["awsAccessKeyId"]), "mlflow:awsSecretAccessKey", "--secret mlflow:awsSecretAccessKey");
        });

        it("an existing Azure account on Docker without credentials", () => {
            const m = failure("dev", { artifacts: { type: "azure-blob", storageAccount: "teamartifacts", container: "mlflow" } });
            assertWellFormed(m, "mlflow:azureStorageConnectionString", "--secret mlflow:azureStorageConnectionString");
        });

        it("an existing Azure account without a container to use or a resource group to create one in", () => {
            const m = failure("dev", { artifacts: { type: "azure-blob", storageAccount: "teamartifacts" } }, ["azureStorageConnectionString"]);
            assertWellFormed(m, "mlflow:artifacts.container", "--path mlflow:artifacts.container mlflow-artifacts");
        });

        it("reports every problem at once", () => {
            const m = failure("dev", { platform: "heroku", port: 0, workers: 0 });
            assert.match(m, /\(3 problems\)/);
        });
    });
});
