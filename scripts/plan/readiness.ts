// Pure: whether CI can run `pulumi preview` / `pulumi up` for a stack, from what the stack needs
// (the packages its offline plan registers, its state backend, its secrets provider) and which
// repository secrets/variables are set. A stack that is not configured is skipped with a notice.

export type Mode = "preview" | "deploy";
export type Cloud = "aws" | "azure" | "gcp";

/** Generic names the workflows map their secrets/variables to (presence is all that is read). */
export const SETTINGS = [
    "PULUMI_ACCESS_TOKEN",
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE",
    "AWS_ROLE",
    "AWS_REGION",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_SUBSCRIPTION_ID",
    "GCP_WORKLOAD_IDENTITY_PROVIDER",
    "GCP_SERVICE_ACCOUNT",
] as const;
export type Setting = (typeof SETTINGS)[number];

/** What a user creates in GitHub for each setting (preview: repository level; deploy: the stack's environment). */
export function settingLabel(setting: Setting, mode: Mode, stack: string): string {
    const where = mode === "deploy" ? ` (environment ${stack} or repository)` : "";
    const names: Record<Setting, string> = {
        PULUMI_ACCESS_TOKEN: "secret PULUMI_ACCESS_TOKEN",
        PULUMI_BACKEND_URL: "variable PULUMI_BACKEND_URL",
        PULUMI_CONFIG_PASSPHRASE: "secret PULUMI_CONFIG_PASSPHRASE",
        AWS_ROLE: mode === "deploy" ? "variable AWS_ROLE_ARN" : "variable AWS_PREVIEW_ROLE_ARN",
        AWS_REGION: "variable AWS_REGION (or aws:region in the stack file)",
        AZURE_CLIENT_ID: mode === "deploy" ? "variable AZURE_CLIENT_ID" : "variable AZURE_PREVIEW_CLIENT_ID",
        AZURE_TENANT_ID: "variable AZURE_TENANT_ID",
        AZURE_SUBSCRIPTION_ID: "variable AZURE_SUBSCRIPTION_ID",
        GCP_WORKLOAD_IDENTITY_PROVIDER: "variable GCP_WORKLOAD_IDENTITY_PROVIDER",
        GCP_SERVICE_ACCOUNT: mode === "deploy" ? "variable GCP_SERVICE_ACCOUNT" : "variable GCP_PREVIEW_SERVICE_ACCOUNT",
    };
    return names[setting] + where;
}

export interface ReadinessInput {
    stack: string;
    mode: Mode;
    /** Packages of the resources the stack registers (Plan.packages). */
    packages: string[];
    /** The stack's config (for aws:region, docker:host). */
    config: Record<string, unknown>;
    /** `secretsprovider:` / `encryptionsalt:` of Pulumi.<stack>.yaml. */
    secretsProvider?: string;
    encryptionSalt?: string;
    /** The state backend URL (PULUMI_BACKEND_URL), if set; it is not a secret. */
    backendUrl?: string;
    /** Which settings are set (non-empty). */
    present: Partial<Record<Setting, boolean>>;
}

export interface Readiness {
    ready: boolean;
    clouds: Record<Cloud, boolean>;
    /** What to create, when not ready. */
    missing: string[];
    /** Other reasons it cannot run. */
    problems: string[];
    awsRegion?: string;
    /** One line for the job summary / PR comment. */
    notice: string;
}

const PACKAGE_CLOUD: Record<string, Cloud> = { aws: "aws", "aws-native": "aws", awsx: "aws", "azure-native": "azure", azure: "azure", gcp: "gcp", "google-native": "gcp" };
const URL_CLOUD: [RegExp, Cloud][] = [
    [/^s3:\/\//, "aws"],
    [/^awskms:\/\//, "aws"],
    [/^azblob:\/\//, "azure"],
    [/^azurekeyvault:\/\//, "azure"],
    [/^gs:\/\//, "gcp"],
    [/^gcpkms:\/\//, "gcp"],
];

function cloudOfUrl(url: string | undefined): Cloud | undefined {
    return url ? URL_CLOUD.find(([re]) => re.test(url))?.[1] : undefined;
}

export function readiness(input: ReadinessInput): Readiness {
    const clouds: Record<Cloud, boolean> = { aws: false, azure: false, gcp: false };
    const needs = new Set<Setting>();
    const problems: string[] = [];
    const reasons: string[] = [];

    for (const pkg of input.packages) {
        const cloud = PACKAGE_CLOUD[pkg];
        if (cloud) {
            clouds[cloud] = true;
            reasons.push(`${pkg} resources`);
        }
    }
    // State backend.
    const backend = input.backendUrl?.trim();
    if (backend) {
        if (/^file:\/\//.test(backend)) {
            problems.push(`PULUMI_BACKEND_URL ${backend} is a local directory, which a CI runner does not keep; use Pulumi Cloud or s3://, azblob://, gs://`);
        }
        const cloud = cloudOfUrl(backend);
        if (cloud) {
            clouds[cloud] = true;
            reasons.push("the state backend");
        }
    } else {
        needs.add("PULUMI_ACCESS_TOKEN");
    }
    // Secrets provider.
    const provider = input.secretsProvider?.trim();
    const kmsCloud = cloudOfUrl(provider);
    if (kmsCloud) {
        clouds[kmsCloud] = true;
        reasons.push("the secrets provider");
    } else if (provider && provider !== "passphrase" && provider !== "default") {
        problems.push(`secrets provider ${provider.split(":")[0]} is not wired into the workflows (passphrase, awskms, azurekeyvault, gcpkms are)`);
    }
    if (provider === "passphrase" || input.encryptionSalt || (backend && !provider)) {
        needs.add("PULUMI_CONFIG_PASSPHRASE");
    }
    // A remote Docker host is not reachable from a hosted runner without more setup.
    const dockerHost = input.config["docker:host"];
    if (input.packages.includes("docker") && typeof dockerHost === "string" && dockerHost !== "" && !/^unix:\/\//.test(dockerHost)) {
        problems.push(`docker:host is ${dockerHost.replace(/\/\/[^@/]*@/, "//")}: the workflow runner has no access to that Docker host`);
    }
    let awsRegion: string | undefined;
    if (clouds.aws) {
        needs.add("AWS_ROLE");
        const configured = input.config["aws:region"];
        awsRegion = typeof configured === "string" && configured !== "" ? configured : undefined;
        if (!awsRegion) needs.add("AWS_REGION");
    }
    if (clouds.azure) {
        needs.add("AZURE_CLIENT_ID").add("AZURE_TENANT_ID").add("AZURE_SUBSCRIPTION_ID");
    }
    if (clouds.gcp) {
        needs.add("GCP_WORKLOAD_IDENTITY_PROVIDER").add("GCP_SERVICE_ACCOUNT");
    }
    const missing = SETTINGS.filter((s) => needs.has(s) && !input.present[s]).map((s) => settingLabel(s, input.mode, input.stack));
    const ready = missing.length === 0 && problems.length === 0;
    const what = input.mode === "deploy" ? "pulumi up" : "pulumi preview";
    const cloudList = (Object.keys(clouds) as Cloud[]).filter((c) => clouds[c]);
    const notice = ready
        ? `${what} for ${input.stack} can run (credentials: ${cloudList.join(", ") || "none needed beyond the state backend"})`
        : `${what} for ${input.stack} skipped: not configured. ${[...(missing.length ? [`Create ${missing.join(", ")}`] : []), ...problems].join("; ")}.` +
          (reasons.length ? ` (Needed for ${[...new Set(reasons)].join(", ")}.)` : "");
    return { ready, clouds, missing, problems, awsRegion, notice };
}
