// The project's promises as CrossGuard policies: pure checks of one resource's properties (or
// of all of a stack's), so the tests can feed them the resources the program registers under
// mocks. index.ts wraps them in the policy pack.
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";

type Props = Record<string, any>;

/** The stack of a resource, from its URN (`urn:pulumi:<stack>::<project>::...`). */
export function stackOf(urn: string): string {
    return urn.split(":")[2]?.split("::")[0] ?? "";
}

const isProd = (urn: string) => stackOf(urn) === "prod";

function resourcePolicy(name: string, description: string, check: (type: string, props: Props, args: ResourceValidationArgs, report: ReportViolation) => void): ResourceValidationPolicy {
    return { name, description, validateResource: (args, report) => check(args.type, args.props as Props, args, report) };
}

// Storage encrypted. Where a service cannot store unencrypted (Azure Storage and PostgreSQL, GCS,
// Cloud SQL, Secrets Manager, Key Vault, Secret Manager), there is nothing to switch off; where it
// can be chosen (RDS, S3's default encryption, ECR), the policy checks it, and in-transit TLS too.
export const storageEncrypted = resourcePolicy("storage-encrypted", "Databases and stores keep their data encrypted, and accept only TLS where that is a setting.", (type, p, _a, report) => {
    if (type === "aws:rds/instance:Instance" && p.storageEncrypted !== true) {
        report("RDS storage must be encrypted (storageEncrypted: true).");
    }
    if (type === "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration") {
        const algorithms = ((p.rules ?? []) as Props[]).map((r) => r.applyServerSideEncryptionByDefault?.sseAlgorithm);
        if (algorithms.length === 0 || algorithms.some((a) => !["AES256", "aws:kms", "aws:kms:dsse"].includes(a))) {
            report(`S3 default encryption must be AES256 or aws:kms, got ${JSON.stringify(algorithms)}.`);
        }
    }
    if (type === "aws:ecr/repository:Repository" && ((p.encryptionConfigurations ?? []) as Props[]).some((e) => !["AES256", "KMS", "KMS_DSSE"].includes(e.encryptionType))) {
        report("ECR images must be encrypted (AES256 or KMS).");
    }
    if (type === "azure-native:storage:StorageAccount" && (p.enableHttpsTrafficOnly !== true || p.minimumTlsVersion !== "TLS1_2")) {
        report("The storage account must accept HTTPS only, TLS 1.2 or newer.");
    }
    if (type === "gcp:sql/databaseInstance:DatabaseInstance" && p.settings?.ipConfiguration?.sslMode !== "ENCRYPTED_ONLY") {
        report("Cloud SQL must accept encrypted connections only (settings.ipConfiguration.sslMode ENCRYPTED_ONLY).");
    }
});

/** Every S3 bucket the stack creates gets a default-encryption configuration and a public access block. */
export const bucketsGuarded: StackValidationPolicy = {
    name: "s3-buckets-guarded",
    description: "Every S3 bucket the stack creates has a default-encryption configuration and a public access block.",
    validateStack: (args: StackValidationArgs, report) => {
        const count = (type: string) => args.resources.filter((r) => r.type === type).length;
        const buckets = count("aws:s3/bucket:Bucket");
        if (count("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration") < buckets) {
            report("An S3 bucket has no default-encryption configuration.");
        }
        if (count("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock") < buckets) {
            report("An S3 bucket has no public access block.");
        }
    },
};

export const noPublicDatabase = resourcePolicy("no-public-database", "No database is reachable from the internet.", (type, p, _a, report) => {
    if (type === "aws:rds/instance:Instance" && p.publiclyAccessible !== false) {
        report("RDS must not be publicly accessible.");
    }
    if (type === "azure-native:dbforpostgresql:Server" && p.network?.publicNetworkAccess !== "Disabled") {
        report("The PostgreSQL flexible server must have public network access disabled (private access only).");
    }
    if (type === "gcp:sql/databaseInstance:DatabaseInstance" && p.settings?.ipConfiguration?.ipv4Enabled !== false) {
        report("Cloud SQL must have no public IPv4 address (settings.ipConfiguration.ipv4Enabled: false).");
    }
    if (type === "docker:index/container:Container" && /^postgres/.test(String(p.command?.[0] ?? "")) && (p.ports ?? []).length > 0) {
        report("The PostgreSQL container must publish no port.");
    }
});

export const noPublicStorage = resourcePolicy("no-public-storage", "No bucket or blob container is public.", (type, p, _a, report) => {
    if (type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock") {
        for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) {
            if (p[flag] !== true) report(`S3 public access block: ${flag} must be true.`);
        }
    }
    if (type === "azure-native:storage:StorageAccount" && p.allowBlobPublicAccess !== false) {
        report("The storage account must not allow public blob access (allowBlobPublicAccess: false).");
    }
    if (type === "azure-native:storage:BlobContainer" && (p.publicAccess ?? "None") !== "None") {
        report(`The blob container must be private (publicAccess None), got ${p.publicAccess}.`);
    }
    if (type === "gcp:storage/bucket:Bucket" && (p.publicAccessPrevention !== "enforced" || p.uniformBucketLevelAccess !== true)) {
        report("The GCS bucket must enforce public access prevention and uniform bucket-level access.");
    }
    if (/^gcp:storage\/bucketIAM(Member|Binding):/.test(type) && ["allUsers", "allAuthenticatedUsers"].some((m) => JSON.stringify(p.member ?? p.members ?? "").includes(m))) {
        report("A GCS bucket must not be granted to allUsers or allAuthenticatedUsers.");
    }
});

/** Environment variable names that hold secrets; and credentials written into a URL. */
const SECRET_NAME = /(PASSWORD|SECRET|TOKEN|CREDENTIALS|CONNECTION_STRING|ACCESS_KEY|ACCOUNT_KEY|PRIVATE_KEY|STORE_URI|DATABASE_URI|DB_URI)/i;
const CREDENTIALS_IN_URL = /[a-z+]+:\/\/[^/\s:@]+:[^@\s/]+@/i;

/** The plain (name, value) environment and the command line of each container the resource runs. */
function containersOf(type: string, p: Props): { env: [string, string][]; command: string[] }[] {
    const pairs = (list: Props[] | undefined) => (list ?? []).filter((e) => e.value !== undefined).map((e) => [String(e.name), String(e.value)] as [string, string]);
    switch (type) {
        case "docker:index/container:Container":
            return [{ env: ((p.envs ?? []) as string[]).map((e) => [e.split("=")[0], e.slice(e.indexOf("=") + 1)] as [string, string]), command: [...(p.command ?? []), ...(p.entrypoints ?? [])] }];
        case "aws:ecs/taskDefinition:TaskDefinition": {
            const defs = (typeof p.containerDefinitions === "string" ? JSON.parse(p.containerDefinitions) : p.containerDefinitions ?? []) as Props[];
            return defs.map((d) => ({ env: pairs(d.environment), command: [...(d.command ?? []), ...(d.entryPoint ?? [])] }));
        }
        case "azure-native:app:ContainerApp":
        case "azure-native:app:Job":
            return ((p.template?.containers ?? []) as Props[]).map((c) => ({ env: pairs(c.env), command: [...(c.command ?? []), ...(c.args ?? [])] }));
        case "gcp:cloudrunv2/service:Service":
        case "gcp:cloudrunv2/job:Job":
            return (((p.template?.containers ?? p.template?.template?.containers) ?? []) as Props[]).map((c) => ({ env: pairs(c.envs), command: [...(c.commands ?? []), ...(c.args ?? [])] }));
        default:
            return [];
    }
}

export const noPlainSecrets = resourcePolicy("no-plain-secrets", "No secret in a container's plain environment, command or arguments: secrets come from the platform's secret store.", (type, p, _a, report) => {
    for (const { env, command } of containersOf(type, p)) {
        for (const [name, value] of env) {
            // A _FILE, _DIR or _PATH variable names where a secret is, not the secret.
            // A _FILE, _DIR, _PATH or _VERSIONS variable says where or which secrets are, not what they are.
            if (SECRET_NAME.test(name) && !/_(FILE|DIR|PATH|VERSIONS)$/.test(name)) {
                report(`${name} is set in plain environment; take it from the secret store.`);
            } else if (CREDENTIALS_IN_URL.test(value)) {
                report(`${name} carries credentials in a URL.`);
            }
        }
        for (const arg of command) {
            if (CREDENTIALS_IN_URL.test(arg) || /^--(backend-store-uri|registry-store-uri|password)\b/.test(arg)) {
                report(`A container argument carries a secret (${arg.split("=")[0].slice(0, 40)}).`);
            }
        }
    }
});

export const tlsInProduction = resourcePolicy("tls-in-production", "Production serves HTTPS only: the load balancer's HTTP listener only redirects, Container Apps refuse plain HTTP.", (type, p, args, report) => {
    if (!isProd(args.urn)) return;
    if (type === "aws:lb/listener:Listener") {
        const actions = (p.defaultActions ?? []) as Props[];
        const redirectsToHttps = actions.length > 0 && actions.every((a) => a.type === "redirect" && a.redirect?.protocol === "HTTPS");
        if (p.protocol !== "HTTPS" && !redirectsToHttps) {
            report(`Listener on port ${p.port} serves ${p.protocol} on prod; serve HTTPS with a certificate, or only redirect to HTTPS.`);
        }
        if (p.protocol === "HTTPS" && !p.certificateArn) {
            report("HTTPS listener without a certificate.");
        }
    }
    if (type === "azure-native:app:ContainerApp" && p.configuration?.ingress && p.configuration.ingress.allowInsecure !== false) {
        report("The container app must refuse plain HTTP (ingress.allowInsecure: false).");
    }
});

/** What holds a stack's data: protected on prod, so a mistaken destroy or replace stops at its preview. */
export const STATEFUL_TYPES = [
    "docker:index/volume:Volume",
    "aws:rds/instance:Instance",
    "aws:s3/bucket:Bucket",
    "azure-native:storage:StorageAccount",
    "azure-native:storage:BlobContainer",
    "azure-native:dbforpostgresql:Server",
    "azure-native:dbforpostgresql:Database",
    "azure-native:keyvault:Vault",
    "gcp:storage/bucket:Bucket",
    "gcp:sql/databaseInstance:DatabaseInstance",
    "gcp:sql/database:Database",
];

export const protectProductionData = resourcePolicy("protect-production-data", "On prod, every resource that holds data has `protect` set.", (type, _p, args, report) => {
    if (isProd(args.urn) && STATEFUL_TYPES.includes(type) && args.opts?.protect !== true) {
        report(`${type} holds data on prod and must be protected (mlflow:protectData true).`);
    }
});

function wildcard(value: unknown): boolean {
    return (Array.isArray(value) ? value : [value]).some((v) => typeof v === "string" && (v === "*" || /^[a-z0-9-]+:\*$/i.test(v)));
}

export const scopedStorageGrants = resourcePolicy("scoped-storage-grants", "The server's storage grants name their actions and resources: no wildcard action or resource, no account- or project-wide storage role.", (type, p, _a, report) => {
    if (type === "aws:iam/rolePolicy:RolePolicy" || type === "aws:iam/policy:Policy") {
        const doc = (typeof p.policy === "string" ? JSON.parse(p.policy) : p.policy ?? {}) as Props;
        for (const st of (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as Props[]) {
            if (st && (wildcard(st.Action) || wildcard(st.NotAction))) report(`IAM statement ${st.Sid ?? ""} allows a wildcard action.`);
            if (st && wildcard(st.Resource)) report(`IAM statement ${st.Sid ?? ""} applies to every resource (*).`);
        }
    }
    if (type === "azure-native:authorization:RoleAssignment" && /\/(ba92f5b4-2d11-453d-a403-e96b0029c9fe|b7e6dc6d-f1e8-4753-8033-0f276bb0955b|17d1049b-9a84-46fb-8f53-869881c3d3ab)$/.test(String(p.roleDefinitionId ?? ""))) {
        // Storage Blob Data Contributor / Owner, Storage Account Contributor: on one container, not an account, group or subscription.
        const scope = String(p.scope ?? "");
        if (/^\/subscriptions\/[^/]+(\/resourceGroups\/[^/]+)?\/?$/i.test(scope) || (scope.includes("/storageAccounts/") && !scope.includes("/containers/"))) {
            report("A storage role must be scoped to the artifact container, not the account, resource group or subscription.");
        }
    }
    if (/^gcp:(projects\/iAM(Member|Binding)|organizations\/iAMMember):/.test(type) && /^roles\/storage\./.test(String(p.role ?? ""))) {
        report("A storage role must be granted on the bucket, not the project.");
    }
    if (/^gcp:storage\/bucketIAM(Member|Binding):/.test(type) && ["roles/storage.admin", "roles/owner", "roles/editor"].includes(String(p.role))) {
        report(`${p.role} on the bucket is broader than the server needs (roles/storage.objectUser).`);
    }
});

/** An image reference pinned by digest, or by a tag other than latest; or a local image ID. */
export function pinnedImage(ref: string): boolean {
    if (/^sha256:[0-9a-f]{64}$/.test(ref) || /@sha256:[0-9a-f]{64}$/.test(ref)) return true;
    const lastPart = ref.split("/").pop() ?? "";
    const tag = lastPart.includes(":") ? lastPart.split(":").pop() : undefined;
    return tag !== undefined && tag !== "" && tag !== "latest";
}

function imagesOf(type: string, p: Props): string[] {
    switch (type) {
        case "docker:index/container:Container":
            return [p.image];
        case "docker:index/remoteImage:RemoteImage":
            return [p.name];
        case "docker:index/image:Image":
            return [p.imageName];
        case "aws:ecs/taskDefinition:TaskDefinition":
            return ((typeof p.containerDefinitions === "string" ? JSON.parse(p.containerDefinitions) : p.containerDefinitions ?? []) as Props[]).map((d) => d.image);
        case "azure-native:app:ContainerApp":
        case "azure-native:app:Job":
            return ((p.template?.containers ?? []) as Props[]).map((c) => c.image);
        case "gcp:cloudrunv2/service:Service":
        case "gcp:cloudrunv2/job:Job":
            return (((p.template?.containers ?? p.template?.template?.containers) ?? []) as Props[]).map((c) => c.image);
        default:
            return [];
    }
}

export const pinnedImages = resourcePolicy("pinned-images", "Every image is pinned by digest or by a version tag, never `latest` or no tag.", (type, p, _a, report) => {
    for (const image of imagesOf(type, p)) {
        // Unknown during a preview (built images): checked again at `up`.
        if (typeof image === "string" && !pinnedImage(image)) {
            report(`Image ${image} is not pinned (use a version tag or a digest, not latest).`);
        }
    }
});

export const RESOURCE_POLICIES: ResourceValidationPolicy[] = [storageEncrypted, noPublicDatabase, noPublicStorage, noPlainSecrets, tlsInProduction, protectProductionData, scopedStorageGrants, pinnedImages];
export const STACK_POLICIES: StackValidationPolicy[] = [bucketsGuarded];
