import * as assert from "assert";
import { parseConfig } from "../../components/config/parse";
import { allowedHostPatterns, buildServerContract, imageSource } from "../../components/contract";
import { dockerPlatformFacts } from "../../components/platform/docker/platform";
import { localArtifactsContract, s3ArtifactsContract, sqliteBackendContract, postgresBackendContract } from "../../components/stores/contracts";
import { normalizePostgresUrl, postgresUri, sqliteUri } from "../../components/stores/uris";
import { MLFLOW_VERSION } from "../../components/versions";

function devSpec(raw: Record<string, unknown> = {}) {
    return parseConfig({ project: "mlflow", stack: "dev", raw, secretsSet: new Set() }).spec;
}

function argValue(args: unknown[], flag: string): string | undefined {
    const i = args.indexOf(flag);
    return i === -1 ? undefined : String(args[i + 1]);
}

describe("server contract", () => {
    const spec = devSpec({ allowedHosts: ["mlflow.example.com"], corsAllowedOrigins: ["https://mlflow.example.com"], extraArgs: ["--static-prefix", "/mlflow"], extraEnv: { MLFLOW_LOGGING_LEVEL: "DEBUG" } });
    const backend = sqliteBackendContract({ type: "sqlite", path: "/mlflow/mlflow.db" });
    const artifacts = localArtifactsContract("/mlflow/artifacts", "dev");
    const contract = buildServerContract({ spec, backend, artifacts, platform: dockerPlatformFacts(spec) });

    it("binds 0.0.0.0 on the container port with the configured workers", () => {
        assert.strictEqual(argValue(contract.args, "--host"), "0.0.0.0");
        assert.strictEqual(argValue(contract.args, "--port"), "5000");
        assert.strictEqual(argValue(contract.args, "--workers"), "2");
        assert.strictEqual(contract.port, 5000);
        assert.strictEqual(contract.healthPath, "/health");
    });

    it("passes the backend URI as a secret variable, never as an argument", () => {
        assert.strictEqual(contract.secretEnv.MLFLOW_BACKEND_STORE_URI, "sqlite:////mlflow/mlflow.db");
        assert.ok(!contract.args.includes("--backend-store-uri"));
        assert.ok(!("MLFLOW_BACKEND_STORE_URI" in contract.env));
    });

    it("proxies artifacts: --artifacts-destination with serving on, --default-artifact-root unset", () => {
        assert.ok(contract.args.includes("--serve-artifacts"));
        assert.strictEqual(argValue(contract.args, "--artifacts-destination"), "/mlflow/artifacts/dev");
        assert.ok(!contract.args.includes("--default-artifact-root"));
        assert.ok(!("MLFLOW_DEFAULT_ARTIFACT_ROOT" in contract.env));
    });

    it("allows the served hosts, with and without port, plus the configured ones", () => {
        const hosts = argValue(contract.args, "--allowed-hosts")!.split(",");
        for (const h of ["localhost", "localhost:*", "127.0.0.1:*", "mlflow-dev-server:*", "mlflow.example.com", "mlflow.example.com:*"]) {
            assert.ok(hosts.includes(h), `${h} missing from ${hosts.join(",")}`);
        }
        assert.ok(!hosts.includes("*"));
        assert.deepStrictEqual(argValue(contract.args, "--cors-allowed-origins")!.split(","), ["http://localhost:5000", "https://mlflow.example.com"]);
    });

    it("appends the user's extra args after its own and merges extra env", () => {
        assert.deepStrictEqual(contract.args.slice(-2), ["--static-prefix", "/mlflow"]);
        assert.strictEqual(contract.env.MLFLOW_LOGGING_LEVEL, "DEBUG");
    });

    it("auth on: basic-auth app, admin user, password, Flask key and auth DB as secrets", () => {
        const authSpec = devSpec({ auth: true });
        const c = buildServerContract({ spec: authSpec, backend, artifacts, platform: dockerPlatformFacts(authSpec), auth: { adminPassword: "pw", flaskSecretKey: "key" } });
        assert.strictEqual(argValue(c.args, "--app-name"), "basic-auth");
        assert.strictEqual(c.env.MLFLOW_AUTH_ADMIN_USERNAME, "admin");
        assert.strictEqual(c.secretEnv.MLFLOW_AUTH_ADMIN_PASSWORD, "pw");
        assert.strictEqual(c.secretEnv.MLFLOW_FLASK_SERVER_SECRET_KEY, "key");
        assert.strictEqual(c.secretEnv.MLFLOW_AUTH_DATABASE_URI, "sqlite:////mlflow/basic_auth.db", "the auth DB persists beside the tracking DB");
        assert.throws(() => buildServerContract({ spec: authSpec, backend, artifacts, platform: dockerPlatformFacts(authSpec) }), /auth is enabled/);
    });

    it("store credentials go to secret env, endpoints to plain env", () => {
        const s3 = s3ArtifactsContract({ bucket: "b", prefix: "dev", endpointUrl: "http://minio:9000", credentials: { accessKeyId: "AK", secretAccessKey: "SK" } });
        const c = buildServerContract({ spec, backend, artifacts: s3, platform: dockerPlatformFacts(spec) });
        assert.strictEqual(argValue(c.args, "--artifacts-destination"), "s3://b/dev");
        assert.strictEqual(c.env.MLFLOW_S3_ENDPOINT_URL, "http://minio:9000");
        assert.deepStrictEqual([c.secretEnv.AWS_ACCESS_KEY_ID, c.secretEnv.AWS_SECRET_ACCESS_KEY], ["AK", "SK"]);
        assert.ok(!("AWS_SECRET_ACCESS_KEY" in c.env));
    });

    it("SQLite is single-replica, PostgreSQL is not", () => {
        assert.strictEqual(contract.replicable, false);
        const pg = postgresBackendContract({ host: "db", port: 5432, user: "mlflow", password: "x", database: "mlflow", authDatabase: "mlflow_auth" });
        assert.strictEqual(buildServerContract({ spec, backend: pg, artifacts, platform: dockerPlatformFacts(spec) }).replicable, true);
    });

    it("builds the pinned image, with a tag that changes with the image's inputs", () => {
        const image = imageSource(spec);
        assert.strictEqual(image.kind, "build");
        if (image.kind === "build") {
            assert.strictEqual(image.args.MLFLOW_VERSION, MLFLOW_VERSION);
            assert.match(image.tag, new RegExp(`^mlflow-dev-server:${MLFLOW_VERSION.replace(/\./g, "\\.")}-[0-9a-f]{12}$`));
        }
        assert.deepStrictEqual(imageSource(devSpec({ image: "registry.example.com/mlflow:3.17.2-1" })), { kind: "prebuilt", ref: "registry.example.com/mlflow:3.17.2-1" });
    });

    it("host patterns add :* only where no port is given", () => {
        assert.deepStrictEqual(allowedHostPatterns(["a.example", "b.example:8080", "c.example:*"]), ["a.example", "a.example:*", "b.example:8080", "c.example:*"]);
    });
});

describe("store URIs", () => {
    it("SQLite absolute paths get four slashes", () => {
        assert.strictEqual(sqliteUri("/mlflow/mlflow.db"), "sqlite:////mlflow/mlflow.db");
        assert.throws(() => sqliteUri("mlflow.db"));
    });

    it("PostgreSQL URIs name the driver and percent-encode user and password", () => {
        const uri = postgresUri({ user: "ml flow", password: "p@ss:w/rd?#%& x!", host: "db", port: 5432, database: "mlflow" });
        assert.strictEqual(uri, "postgresql+psycopg2://ml%20flow:p%40ss%3Aw%2Frd%3F%23%25%26%20x%21@db:5432/mlflow");
        const decoded = new URL(uri.replace("postgresql+psycopg2", "http"));
        assert.strictEqual(decodeURIComponent(decoded.password), "p@ss:w/rd?#%& x!");
        assert.strictEqual(decoded.hostname, "db");
    });

    it("external URLs get the driver, keep their query, and can point at the auth database", () => {
        assert.strictEqual(normalizePostgresUrl("postgres://u:p%40@h:5432/mlflow?sslmode=require"), "postgresql+psycopg2://u:p%40@h:5432/mlflow?sslmode=require");
        assert.strictEqual(normalizePostgresUrl("postgresql://u:p@h/mlflow?sslmode=require", "mlflow_auth"), "postgresql+psycopg2://u:p@h/mlflow_auth?sslmode=require");
        assert.throws(() => normalizePostgresUrl("mysql://u:secret@h/db"), (e: Error) => !e.message.includes("secret"));
    });
});
