// Reads the stack configuration from the Pulumi runtime, once, for parseConfig.
import * as pulumi from "@pulumi/pulumi";
import { DeploymentSecrets } from "../platform/types";
import { ParseInput, parseConfig, ParseResult, SECRET_KEYS, SecretKey } from "./parse";

/** Keys Pulumi stores encrypted (set with --secret), as the language host passes them. */
function encryptedKeys(): Set<string> {
    const raw = process.env.PULUMI_CONFIG_SECRET_KEYS;
    if (!raw) {
        return new Set();
    }
    try {
        const keys: unknown = JSON.parse(raw);
        return new Set(Array.isArray(keys) ? keys.map(String) : []);
    } catch {
        return new Set();
    }
}

/** The provider settings the cloud platforms depend on, from the stack or the environment. */
function providerConfig(): Record<string, string | undefined> {
    const aws = new pulumi.Config("aws");
    const azure = new pulumi.Config("azure-native");
    const gcp = new pulumi.Config("gcp");
    return {
        "aws:region": aws.get("region") ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
        "azure-native:location": azure.get("location") ?? process.env.ARM_LOCATION,
        "azure-native:subscriptionId": azure.get("subscriptionId") ?? process.env.ARM_SUBSCRIPTION_ID,
        "gcp:project": gcp.get("project") ?? process.env.GOOGLE_PROJECT ?? process.env.GOOGLE_CLOUD_PROJECT,
        "gcp:region": gcp.get("region") ?? process.env.GOOGLE_REGION,
    };
}

export interface LoadedConfig extends ParseResult {
    secrets: DeploymentSecrets;
}

export function loadConfig(): LoadedConfig {
    const project = pulumi.getProject();
    const stack = pulumi.getStack();
    const cfg = new pulumi.Config("mlflow");

    const raw: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (fullKey.startsWith("mlflow:") && !(SECRET_KEYS as readonly string[]).includes(fullKey.slice("mlflow:".length))) {
            raw[fullKey.slice("mlflow:".length)] = value;
        }
    }

    const encrypted = encryptedKeys();
    const secretsSet = new Set<SecretKey>();
    const plaintextSecrets = new Set<SecretKey>();
    const secretValues: Partial<Record<SecretKey, string>> = {};
    const secrets: DeploymentSecrets = {};
    for (const key of SECRET_KEYS) {
        const value = cfg.get(key);
        if (value === undefined || value === "") {
            continue;
        }
        secretsSet.add(key);
        secretValues[key] = value;
        // Only the Pulumi CLI says which keys are encrypted; under unit-test mocks nothing is.
        if (process.env.PULUMI_CONFIG_SECRET_KEYS !== undefined && !encrypted.has(`mlflow:${key}`)) {
            plaintextSecrets.add(key);
        }
        secrets[key] = cfg.requireSecret(key);
    }

    const input: ParseInput = {
        project,
        stack,
        raw,
        secretsSet,
        plaintextSecrets,
        secretValues,
        dockerHost: new pulumi.Config("docker").get("host"),
        providerConfig: providerConfig(),
    };
    return { ...parseConfig(input), secrets };
}
