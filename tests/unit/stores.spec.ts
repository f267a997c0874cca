import * as assert from "assert";
import { connectionLimit, POSTGRES_CONTAINER_MAX_CONNECTIONS } from "../../components/config/dbLimits";
import { parseConfig } from "../../components/config/parse";
import { dockerStackConfig } from "./fixtures";
import { allStrings, isSecretValue, plainStrings, runProgram } from "./harness";

function uploadsOf(inputs: Record<string, unknown>): { file: string; content: string }[] {
    const u = inputs.uploads;
    return (isSecretValue(u) ? u.value : u) as { file: string; content: string }[];
}

function serverArgs(run: Awaited<ReturnType<typeof runProgram>>): string[] {
    const c = run.byType("docker:index/container:Container").find((r) => String(r.inputs.name).endsWith("-server"))!;
    return c.inputs.command as string[];
}

describe("stores under mocks", function () {
    this.timeout(60000);

    it("s3 (created): private, encrypted, versioned, public access blocked; keys only as secrets", async () => {
        const run = await runProgram(
            "staging",
            { ...dockerStackConfig("staging"), "mlflow:artifacts": { type: "s3", region: "eu-west-1" }, "mlflow:awsAccessKeyId": "AKIAEXAMPLE", "mlflow:awsSecretAccessKey": "s3cr3t/key" },
            ["mlflow:awsAccessKeyId", "mlflow:awsSecretAccessKey"],
        );
        const bucket = run.one("aws:s3/bucket:Bucket");
        assert.strictEqual(bucket.inputs.bucket, "mlflow-staging-artifacts-k3x9q2ab");
        assert.deepStrictEqual(run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs, {
            bucket: "mlflow-staging-artifacts-bucket-id",
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        });
        const sse = run.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules as { applyServerSideEncryptionByDefault: { sseAlgorithm: string } }[];
        assert.strictEqual(sse[0].applyServerSideEncryptionByDefault.sseAlgorithm, "AES256");
        assert.deepStrictEqual(run.one("aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration, { status: "Enabled" });
        assert.strictEqual(run.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule && (run.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule as { objectOwnership: string }).objectOwnership, "BucketOwnerEnforced");
        const args = serverArgs(run);
        assert.strictEqual(args[args.indexOf("--artifacts-destination") + 1], "s3://mlflow-staging-artifacts-k3x9q2ab/staging");
        for (const r of run.resources) {
            assert.ok(!plainStrings(r.inputs).some((s) => s.includes("s3cr3t/key") || s.includes("AKIAEXAMPLE")), `${r.type} shows an AWS key`);
        }
        const server = run.byType("docker:index/container:Container").find((r) => String(r.inputs.name).endsWith("-server"))!;
        const files = uploadsOf(server.inputs).map((u) => u.file);
        assert.ok(files.includes("/run/secrets/mlflow/AWS_SECRET_ACCESS_KEY"));
        assert.ok((server.inputs.envs as string[]).includes("AWS_DEFAULT_REGION=eu-west-1"));
    });

    it("s3 (existing bucket, custom endpoint): no bucket is created, the endpoint reaches the server", async () => {
        const run = await runProgram("dev", { "mlflow:artifacts": { type: "s3", bucket: "team-mlflow", endpointUrl: "http://minio:9000", prefix: "team-a/dev" } });
        assert.strictEqual(run.byType("aws:s3/bucket:Bucket").length, 0);
        const server = run.byType("docker:index/container:Container")[0];
        assert.ok((server.inputs.envs as string[]).includes("MLFLOW_S3_ENDPOINT_URL=http://minio:9000"));
        const args = serverArgs(run);
        assert.strictEqual(args[args.indexOf("--artifacts-destination") + 1], "s3://team-mlflow/team-a/dev");
    });

    it("azure-blob (created): HTTPS only, TLS 1.2, no public blob access, private container, key as secret", async () => {
        const run = await runProgram("prod", { ...dockerStackConfig("prod"), "mlflow:artifacts": { type: "azure-blob", location: "westeurope" } });
        const account = run.one("azure-native:storage:StorageAccount");
        assert.strictEqual(account.inputs.enableHttpsTrafficOnly, true);
        assert.strictEqual(account.inputs.allowBlobPublicAccess, false);
        assert.strictEqual(account.inputs.minimumTlsVersion, "TLS1_2");
        assert.match(String(account.inputs.accountName), /^[a-z0-9]{3,24}$/);
        const container = run.one("azure-native:storage:BlobContainer");
        assert.strictEqual(container.inputs.publicAccess, "None");
        const args = serverArgs(run);
        assert.match(args[args.indexOf("--artifacts-destination") + 1], /^wasbs:\/\/mlflow-artifacts@mlflowprodk3x9q2ab\.blob\.core\.windows\.net\/prod$/);
        const server = run.byType("docker:index/container:Container").find((r) => String(r.inputs.name).endsWith("-server"))!;
        const key = uploadsOf(server.inputs).find((u) => u.file.endsWith("/AZURE_STORAGE_ACCESS_KEY"));
        assert.ok(key && allStrings(key).includes("mock-account-key"));
        for (const r of run.resources) {
            assert.ok(!plainStrings(r.inputs).includes("mock-account-key"), `${r.type} shows the account key`);
        }
    });

    it("gcs (created): uniform access, public access prevented, versioned; prod keeps it", async () => {
        const run = await runProgram("prod", { ...dockerStackConfig("prod"), "mlflow:artifacts": { type: "gcs", location: "EU" } });
        const bucket = run.one("gcp:storage/bucket:Bucket");
        assert.strictEqual(bucket.inputs.uniformBucketLevelAccess, true);
        assert.strictEqual(bucket.inputs.publicAccessPrevention, "enforced");
        assert.deepStrictEqual(bucket.inputs.versioning, { enabled: true });
        assert.strictEqual(bucket.inputs.forceDestroy, false, "prod never force-destroys its artifacts");
        const args = serverArgs(run);
        assert.strictEqual(args[args.indexOf("--artifacts-destination") + 1], "gs://mlflow-prod-artifacts-k3x9q2ab/prod");
    });

    it("postgres (container): runs with max_connections 200, the limit the pool is sized from (197 usable)", async () => {
        const config = dockerStackConfig("prod");
        const run = await runProgram("prod", config);
        const pg = run.byType("docker:index/container:Container").find((r) => String(r.inputs.name) === "mlflow-prod-postgres")!;
        // The image's entrypoint runs this command: PostgreSQL's own server with the setting.
        assert.deepStrictEqual(pg.inputs.command, ["postgres", "-c", "max_connections=200"]);
        assert.strictEqual(POSTGRES_CONTAINER_MAX_CONNECTIONS, 200);
        // The pool the server gets is sized from that: 4 workers × 4 engines × 12 + 1 = 193 <= 197.
        const spec = parseConfig({ project: "mlflow", stack: "prod", raw: Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace(/^mlflow:/, ""), v])), secretsSet: new Set() }).spec;
        assert.strictEqual(connectionLimit(spec.backend)!.usable, 197);
        const server = run.byType("docker:index/container:Container").find((r) => String(r.inputs.name) === "mlflow-prod-server")!;
        const envs = server.inputs.envs as string[];
        assert.ok(envs.includes(`MLFLOW_SQLALCHEMYSTORE_POOL_SIZE=${spec.dbPool.size}`) && envs.includes(`MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW=${spec.dbPool.maxOverflow}`), envs.join(" "));
        assert.deepStrictEqual(spec.dbPool, { size: 4, maxOverflow: 8 });
    });

    it("postgres (container): pinned image, own volume, health check, no host port, password as a secret file", async () => {
        const dbPassword = "db p@ss:w/rd?#%& x";
        const run = await runProgram("staging", { ...dockerStackConfig("staging"), "mlflow:dbPassword": dbPassword }, ["mlflow:dbPassword"]);
        const pg = run.byType("docker:index/container:Container").find((r) => String(r.inputs.name) === "mlflow-staging-postgres")!;
        assert.ok(run.byType("docker:index/remoteImage:RemoteImage").some((i) => /^postgres:\d+\.\d+/.test(String(i.inputs.name))));
        assert.deepStrictEqual(pg.inputs.volumes, [{ volumeName: "mlflow-staging-pgdata", containerPath: "/var/lib/postgresql/data" }]);
        assert.match((pg.inputs.healthcheck as { tests: string[] }).tests.join(" "), /pg_isready/);
        assert.ok(!pg.inputs.ports, "PostgreSQL is reachable on the Docker network only");
        assert.ok((pg.inputs.envs as string[]).includes("POSTGRES_PASSWORD_FILE=/run/secrets/postgres-password"));
        assert.ok(!plainStrings(pg.inputs).some((s) => s.includes(dbPassword)));
        assert.ok(isSecretValue(pg.inputs.uploads));
        const server = run.byType("docker:index/container:Container").find((r) => String(r.inputs.name).endsWith("-server"))!;
        const uri = uploadsOf(server.inputs).find((u) => u.file.endsWith("/MLFLOW_BACKEND_STORE_URI"))!;
        assert.match(allStrings(uri).find((s) => s.startsWith("postgresql"))!, /^postgresql\+psycopg2:\/\/mlflow:db%20p%40ss%3Aw%2Frd%3F%23%25%26%20x@mlflow-staging-postgres:5432\/mlflow/);
        const authUri = uploadsOf(server.inputs).find((u) => u.file.endsWith("/MLFLOW_AUTH_DATABASE_URI"))!;
        assert.ok(allStrings(authUri).some((s) => /^postgresql\+psycopg2:\/\/.*@mlflow-staging-postgres:5432\/mlflow_auth$/.test(s)), "the auth app gets its own database on the same server");
    });

    it("postgres (external): the URL gets the psycopg2 driver and stays secret", async () => {
        const url = "postgresql://team:hunter2@db.example.com:5432/mlflow?sslmode=require";
        const run = await runProgram("dev", { "mlflow:backend": { type: "postgres" }, "mlflow:postgresUrl": url }, ["mlflow:postgresUrl"]);
        assert.ok(!run.byType("docker:index/container:Container").some((c) => c.inputs.name === "mlflow-dev-postgres"), "no database container");
        for (const r of run.resources) {
            assert.ok(!plainStrings(r.inputs).some((s) => s.includes("hunter2")), `${r.type} shows the database password`);
        }
        const server = run.byType("docker:index/container:Container")[0];
        const uri = uploadsOf(server.inputs).find((u) => u.file.endsWith("/MLFLOW_BACKEND_STORE_URI"))!;
        assert.ok(allStrings(uri).includes("postgresql+psycopg2://team:hunter2@db.example.com:5432/mlflow?sslmode=require"));
    });
});
