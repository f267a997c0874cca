// The policy pack (policy/) against the program: every stack the project ships, run under mocks,
// passes every policy; and each policy refuses a resource that breaks its promise.
import * as assert from "assert";
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { bucketsGuarded, noPlainSecrets, noPublicDatabase, noPublicStorage, pinnedImage, pinnedImages, protectProductionData, RESOURCE_POLICIES, scopedStorageGrants, stackOf, storageEncrypted, tlsInProduction } from "../../policy/rules";
import { dockerStackConfig } from "./fixtures";
import { isSecretValue, ProgramRun, RegisteredResource, runProgram, stackFileConfig } from "./harness";

/** Inputs as a policy sees them: secrets unwrapped (the engine hands analyzers plain values). */
function unwrap(v: unknown): unknown {
    if (isSecretValue(v)) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    return v;
}

function argsFor(stack: string, type: string, props: Record<string, unknown>, opts: { protect?: boolean } = {}, name = "r"): ResourceValidationArgs {
    return { type, props, urn: `urn:pulumi:${stack}::mlflow::${type}::${name}`, name, opts: { protect: opts.protect ?? false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: {} }, getConfig: () => ({}) as never, notApplicable: () => undefined as never } as unknown as ResourceValidationArgs;
}

function violations(policy: ResourceValidationPolicy, args: ResourceValidationArgs): string[] {
    const found: string[] = [];
    const validations = policy.validateResource;
    for (const validate of Array.isArray(validations) ? validations : validations ? [validations] : []) {
        void validate(args, (message: string) => found.push(message));
    }
    return found;
}

function asArgs(stack: string, r: RegisteredResource): ResourceValidationArgs {
    return argsFor(stack, r.type, unwrap(r.inputs) as Record<string, unknown>, r.options, r.name);
}

const CLOUD = {
    azure: { "mlflow:platform": "azure", "azure-native:location": "westeurope", "mlflow:backend": { type: "azure-postgres" }, "mlflow:artifacts": { type: "azure-blob" } },
    gcp: { "mlflow:platform": "gcp", "gcp:project": "test-project", "gcp:region": "europe-west1", "mlflow:backend": { type: "cloudsql" }, "mlflow:artifacts": { type: "gcs" } },
};

describe("policy pack: the project's promises at preview time", function () {
    this.timeout(180000);
    const runs: [string, string, ProgramRun][] = [];

    before(async () => {
        for (const stack of ["dev", "staging", "prod"]) {
            runs.push([`docker ${stack}`, stack, await runProgram(stack, dockerStackConfig(stack))]);
        }
        for (const stack of ["staging", "prod"]) {
            runs.push([`aws ${stack} (stack file)`, stack, await runProgram(stack, stackFileConfig(stack))]);
            runs.push([`azure ${stack}`, stack, await runProgram(stack, CLOUD.azure)]);
            runs.push([`gcp ${stack}`, stack, await runProgram(stack, { ...CLOUD.gcp, "mlflow:gcp": { access: "iam", invokers: ["group:ml@example.com"] } })]);
        }
        runs.push(["azure staging with users and SSO wiring", "staging", await runProgram("staging", { ...CLOUD.azure, "mlflow:users": [{ name: "alice" }] })]);
    });

    it("every shipped stack passes every policy, on Docker, AWS, Azure and GCP", () => {
        assert.strictEqual(runs.length, 10);
        for (const [label, stack, run] of runs) {
            for (const r of run.resources) {
                for (const policy of RESOURCE_POLICIES) {
                    assert.deepStrictEqual(violations(policy, asArgs(stack, r)), [], `${label}: ${policy.name} on ${r.type} ${r.name}`);
                }
            }
            const found: string[] = [];
            bucketsGuarded.validateStack({ resources: run.resources.map((r) => asArgs(stack, r) as unknown as PolicyResource), getConfig: () => ({}) as never } as never, (m) => found.push(m));
            assert.deepStrictEqual(found, [], `${label}: ${bucketsGuarded.name}`);
        }
    });

    it("the policies look at the resources they are about (a check that never runs would pass too)", () => {
        const types = new Set(runs.flatMap(([, , run]) => run.resources.map((r) => r.type)));
        for (const t of ["aws:rds/instance:Instance", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws:lb/listener:Listener", "aws:iam/rolePolicy:RolePolicy", "aws:ecs/taskDefinition:TaskDefinition", "azure-native:dbforpostgresql:Server", "azure-native:storage:BlobContainer", "azure-native:app:ContainerApp", "azure-native:authorization:RoleAssignment", "gcp:sql/databaseInstance:DatabaseInstance", "gcp:storage/bucket:Bucket", "gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:cloudrunv2/service:Service", "docker:index/container:Container", "docker:index/volume:Volume"]) {
            assert.ok(types.has(t), `no ${t} in the shipped stacks`);
        }
    });

    describe("each policy refuses what breaks its promise", () => {
        const refuse = (policy: ResourceValidationPolicy, args: ResourceValidationArgs, pattern: RegExp) => {
            const found = violations(policy, args);
            assert.ok(found.some((m) => pattern.test(m)), `${policy.name} should refuse ${args.type}: ${JSON.stringify(found)}`);
        };

        it("storage-encrypted: RDS unencrypted, S3 without AES256/KMS, a storage account over plain HTTP, Cloud SQL accepting unencrypted", () => {
            refuse(storageEncrypted, argsFor("staging", "aws:rds/instance:Instance", { storageEncrypted: false, publiclyAccessible: false }), /storageEncrypted/);
            refuse(storageEncrypted, argsFor("staging", "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", { rules: [] }), /AES256 or aws:kms/);
            refuse(storageEncrypted, argsFor("staging", "azure-native:storage:StorageAccount", { enableHttpsTrafficOnly: false, minimumTlsVersion: "TLS1_0" }), /HTTPS only/);
            refuse(storageEncrypted, argsFor("staging", "gcp:sql/databaseInstance:DatabaseInstance", { settings: { ipConfiguration: { ipv4Enabled: false, sslMode: "ALLOW_UNENCRYPTED_AND_ENCRYPTED" } } }), /ENCRYPTED_ONLY/);
        });

        it("s3-buckets-guarded: a bucket without its encryption configuration and public access block", () => {
            const found: string[] = [];
            bucketsGuarded.validateStack({ resources: [argsFor("staging", "aws:s3/bucket:Bucket", {})] } as never, (m) => found.push(m));
            assert.deepStrictEqual(found, ["An S3 bucket has no default-encryption configuration.", "An S3 bucket has no public access block."]);
        });

        it("no-public-database: a public RDS, a flexible server with public access, Cloud SQL with a public IP, a published PostgreSQL container", () => {
            refuse(noPublicDatabase, argsFor("staging", "aws:rds/instance:Instance", { publiclyAccessible: true }), /publicly accessible/);
            refuse(noPublicDatabase, argsFor("staging", "azure-native:dbforpostgresql:Server", { network: { publicNetworkAccess: "Enabled" } }), /public network access/);
            refuse(noPublicDatabase, argsFor("staging", "gcp:sql/databaseInstance:DatabaseInstance", { settings: { ipConfiguration: { ipv4Enabled: true } } }), /public IPv4/);
            refuse(noPublicDatabase, argsFor("staging", "docker:index/container:Container", { command: ["postgres"], ports: [{ internal: 5432, external: 5432 }] }), /publish no port/);
        });

        it("no-public-storage: an open public access block, public blob access, a public container, a bucket without prevention, allUsers on a bucket", () => {
            refuse(noPublicStorage, argsFor("staging", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", { blockPublicAcls: true, blockPublicPolicy: false, ignorePublicAcls: true, restrictPublicBuckets: true }), /blockPublicPolicy/);
            refuse(noPublicStorage, argsFor("staging", "azure-native:storage:StorageAccount", { allowBlobPublicAccess: true }), /public blob access/);
            refuse(noPublicStorage, argsFor("staging", "azure-native:storage:BlobContainer", { publicAccess: "Blob" }), /private/);
            refuse(noPublicStorage, argsFor("staging", "gcp:storage/bucket:Bucket", { publicAccessPrevention: "inherited", uniformBucketLevelAccess: true }), /public access prevention/);
            refuse(noPublicStorage, argsFor("staging", "gcp:storage/bucketIAMMember:BucketIAMMember", { member: "allUsers", role: "roles/storage.objectViewer" }), /allUsers/);
        });

        it("no-plain-secrets: a password in plain env on each platform, a database URI on the command line", () => {
            refuse(noPlainSecrets, argsFor("staging", "docker:index/container:Container", { envs: ["MLFLOW_AUTH_ADMIN_PASSWORD=hunter2hunter2"], command: [] }), /MLFLOW_AUTH_ADMIN_PASSWORD is set in plain environment/);
            const def = JSON.stringify([{ image: "x:1", environment: [{ name: "MLFLOW_BACKEND_STORE_URI", value: "postgresql://u:p@db/m" }], command: [] }]);
            refuse(noPlainSecrets, argsFor("staging", "aws:ecs/taskDefinition:TaskDefinition", { containerDefinitions: def }), /MLFLOW_BACKEND_STORE_URI/);
            refuse(noPlainSecrets, argsFor("staging", "azure-native:app:ContainerApp", { template: { containers: [{ env: [{ name: "OIDC_CLIENT_SECRET", value: "s" }] }] } }), /OIDC_CLIENT_SECRET/);
            refuse(noPlainSecrets, argsFor("staging", "gcp:cloudrunv2/service:Service", { template: { containers: [{ envs: [{ name: "LOG_SINK", value: "https://user:pw@logs.example.com" }] }] } }), /credentials in a URL/);
            refuse(noPlainSecrets, argsFor("staging", "docker:index/container:Container", { envs: [], command: ["--backend-store-uri", "postgresql://u:p@db/m"] }), /argument carries a secret/);
            // Where the secrets are is no secret.
            assert.deepStrictEqual(violations(noPlainSecrets, argsFor("staging", "docker:index/container:Container", { envs: ["MLFLOW_SECRETS_DIR=/run/secrets/mlflow", "POSTGRES_PASSWORD_FILE=/run/secrets/pg"], command: [] })), []);
        });

        it("tls-in-production: an HTTP listener that serves on prod, a container app taking HTTP on prod; staging only advised by the pack's level", () => {
            const http = { protocol: "HTTP", port: 80, defaultActions: [{ type: "forward", targetGroupArn: "tg" }] };
            refuse(tlsInProduction, argsFor("prod", "aws:lb/listener:Listener", http), /serves HTTP on prod/);
            refuse(tlsInProduction, argsFor("prod", "aws:lb/listener:Listener", { protocol: "HTTPS", port: 443, defaultActions: [] }), /without a certificate/);
            refuse(tlsInProduction, argsFor("prod", "azure-native:app:ContainerApp", { configuration: { ingress: { allowInsecure: true } } }), /allowInsecure/);
            assert.deepStrictEqual(violations(tlsInProduction, argsFor("staging", "aws:lb/listener:Listener", http)), []);
        });

        it("protect-production-data: an unprotected database or bucket on prod; the same on staging is fine", () => {
            for (const type of ["aws:rds/instance:Instance", "gcp:storage/bucket:Bucket", "docker:index/volume:Volume", "azure-native:keyvault:Vault"]) {
                refuse(protectProductionData, argsFor("prod", type, {}, { protect: false }), /must be protected/);
                assert.deepStrictEqual(violations(protectProductionData, argsFor("staging", type, {}, { protect: false })), []);
                assert.deepStrictEqual(violations(protectProductionData, argsFor("prod", type, {}, { protect: true })), []);
            }
        });

        it("scoped-storage-grants: s3:* or Resource *, a blob role on the whole account, a storage role on the project, storage.admin on the bucket", () => {
            const policy = (statement: object) => ({ policy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) });
            refuse(scopedStorageGrants, argsFor("staging", "aws:iam/rolePolicy:RolePolicy", policy({ Sid: "A", Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::b/*" })), /wildcard action/);
            refuse(scopedStorageGrants, argsFor("staging", "aws:iam/rolePolicy:RolePolicy", policy({ Sid: "B", Effect: "Allow", Action: ["s3:GetObject"], Resource: "*" })), /every resource/);
            const contributor = "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe";
            refuse(scopedStorageGrants, argsFor("staging", "azure-native:authorization:RoleAssignment", { roleDefinitionId: contributor, scope: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct" }), /scoped to the artifact container/);
            refuse(scopedStorageGrants, argsFor("staging", "gcp:projects/iAMMember:IAMMember", { role: "roles/storage.objectAdmin", member: "serviceAccount:x" }), /on the bucket, not the project/);
            refuse(scopedStorageGrants, argsFor("staging", "gcp:storage/bucketIAMMember:BucketIAMMember", { role: "roles/storage.admin", member: "serviceAccount:x" }), /broader/);
        });

        it("pinned-images: latest or no tag refused; a version tag, a digest or an image ID pass", () => {
            for (const ok of ["postgres:17.6-bookworm", "ghcr.io/mlflow/mlflow:v3.17.2", `r.example.com:5000/mlflow@sha256:${"a".repeat(64)}`, `sha256:${"b".repeat(64)}`]) {
                assert.ok(pinnedImage(ok), ok);
            }
            for (const bad of ["postgres", "postgres:latest", "r.example.com:5000/mlflow", "ghcr.io/mlflow/mlflow:latest"]) {
                assert.ok(!pinnedImage(bad), bad);
            }
            refuse(pinnedImages, argsFor("staging", "docker:index/remoteImage:RemoteImage", { name: "postgres:latest" }), /not pinned/);
            refuse(pinnedImages, argsFor("staging", "gcp:cloudrunv2/service:Service", { template: { containers: [{ image: "europe-docker.pkg.dev/p/r/mlflow" }] } }), /not pinned/);
        });

        it("the stack of a resource comes from its URN", () => {
            assert.strictEqual(stackOf("urn:pulumi:prod::mlflow::aws:rds/instance:Instance::db"), "prod");
            assert.strictEqual(stackOf("urn:pulumi:e2e1-staging::mlflow::docker:index/volume:Volume::v"), "e2e1-staging");
        });
    });
});
