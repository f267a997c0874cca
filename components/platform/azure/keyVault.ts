import * as authorization from "@pulumi/azure-native/authorization";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { keyVaultName, SUFFIX_LENGTH } from "../../naming";
import { Value } from "../../stores/types";
import { AZURE_ROLES, roleDefinitionId, secretNameForEnv } from "./facts";

export interface AzureSecretsArgs {
    project: string;
    stack: string;
    resourceGroupName: pulumi.Input<string>;
    location: string;
    tenantId: pulumi.Input<string>;
    subscriptionId: pulumi.Input<string>;
    /** The server's secret environment (contract.secretEnv): each becomes one Key Vault secret. */
    secretEnv: Record<string, Value>;
    /** Principal id of the app's managed identity: granted Key Vault Secrets User on the vault. */
    readerPrincipalId: pulumi.Input<string>;
    protectData: boolean;
}

/** One secret the app reads by Key Vault reference. */
export interface VaultSecretRef {
    /** The environment variable the server reads. */
    envName: string;
    /** Name of the Key Vault secret and of the Container Apps secret that references it. */
    secretName: string;
    /** Versionless URI: the app follows rotations. */
    secretUri: pulumi.Output<string>;
    /** The current version: put in the revision template so a changed value restarts the app. */
    version: pulumi.Output<string>;
}

/** A container's environment as Container Apps takes it. */
export type ContainerEnvVar = { name: string; value?: pulumi.Input<string>; secretRef?: string };

/**
 * Plain values as they are, every secret as a reference to its Container Apps secret (itself a
 * Key Vault reference), and the secrets' current versions: read when a replica starts, so a new
 * version makes a new revision (or job template).
 */
export function containerEnv(env: Record<string, Value>, secrets: VaultSecretRef[]): ContainerEnvVar[] {
    const versions = pulumi.unsecret(pulumi.all(secrets.map((s) => s.version)).apply((v) => v.join(",")));
    return [
        ...Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
        ...secrets.map((s) => ({ name: s.envName, secretRef: s.secretName })),
        ...(secrets.length ? [{ name: "MLFLOW_DEPLOY_SECRET_VERSIONS", value: versions }] : []),
    ];
}

/** The Container Apps `configuration.secrets` entries: Key Vault references read with `identityId`. */
export function vaultSecretsConfig(secrets: VaultSecretRef[], identityId: pulumi.Input<string>) {
    return secrets.map((s) => ({ name: s.secretName, keyVaultUrl: s.secretUri, identity: identityId }));
}

/**
 * A Key Vault in RBAC mode holding the server's secrets (backend URI, auth database URI, admin
 * password, Flask key...), written through Azure Resource Manager (Contributor suffices, no data
 * access for the deployer) and readable by the app's identity only. Purge protection on prod.
 */
export class AzureSecrets extends pulumi.ComponentResource {
    readonly vault: keyvault.Vault;
    readonly vaultUri: pulumi.Output<string>;
    readonly secrets: VaultSecretRef[];
    /** The app's read grant: the container app must wait for it. */
    readonly readerGrant: authorization.RoleAssignment;

    constructor(name: string, args: AzureSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:AzureSecrets", name, {}, opts);
        const dataOpts = { parent: this, protect: args.protectData, retainOnDelete: args.protectData };
        const suffix = new random.RandomString(`${name}-suffix`, { length: SUFFIX_LENGTH, special: false, upper: false }, { parent: this });

        this.vault = new keyvault.Vault(
            `${name}-vault`,
            {
                vaultName: suffix.result.apply((s) => keyVaultName(args.project, args.stack, s)),
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                properties: {
                    tenantId: args.tenantId,
                    sku: { family: "A", name: "standard" },
                    enableRbacAuthorization: true,
                    enableSoftDelete: true,
                    softDeleteRetentionInDays: args.protectData ? 90 : 7,
                    // Purge protection cannot be turned off once on: only prod gets it.
                    ...(args.protectData ? { enablePurgeProtection: true } : {}),
                    enabledForDeployment: false,
                    enabledForDiskEncryption: false,
                    enabledForTemplateDeployment: false,
                },
            },
            dataOpts,
        );
        this.vaultUri = this.vault.properties.apply((p) => p.vaultUri ?? "");

        this.secrets = Object.entries(args.secretEnv)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([envName, value]) => {
                const secretName = secretNameForEnv(envName);
                const secret = new keyvault.Secret(
                    `${name}-${secretName}`,
                    {
                        vaultName: this.vault.name,
                        resourceGroupName: args.resourceGroupName,
                        secretName,
                        properties: { value: pulumi.secret(pulumi.output(value)), contentType: "text/plain" },
                    },
                    { parent: this },
                );
                const props = secret.properties;
                return {
                    envName,
                    secretName,
                    secretUri: props.apply((p) => p.secretUri),
                    version: props.apply((p) => p.secretUriWithVersion.split("/").pop() ?? ""),
                };
            });

        this.readerGrant = new authorization.RoleAssignment(
            `${name}-secrets-user`,
            {
                scope: this.vault.id,
                principalId: args.readerPrincipalId,
                principalType: authorization.PrincipalType.ServicePrincipal,
                roleDefinitionId: pulumi.output(args.subscriptionId).apply((sub) => roleDefinitionId(sub, AZURE_ROLES.keyVaultSecretsUser)),
            },
            { parent: this },
        );
        this.registerOutputs({ vaultUri: this.vaultUri });
    }
}
