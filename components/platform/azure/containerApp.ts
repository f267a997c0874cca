import * as app from "@pulumi/azure-native/app";
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as pulumi from "@pulumi/pulumi";
import { AzureSpec } from "../../config/azure";
import { ServerContract } from "../../contract";
import { resourceName } from "../../naming";
import { containerEnv, vaultSecretsConfig, VaultSecretRef } from "./keyVault";
import { AZURE_ROLES, azureNames, azureProbes, azureScale, CONSUMPTION_PROFILE, roleDefinitionId, SERVER_CONTAINER_NAME } from "./facts";

/** The server's user-assigned managed identity: pulls the image, reads the secrets, writes the blobs. */
export class AzureServerIdentity extends pulumi.ComponentResource {
    readonly identity: managedidentity.UserAssignedIdentity;
    readonly id: pulumi.Output<string>;
    readonly clientId: pulumi.Output<string>;
    readonly principalId: pulumi.Output<string>;

    constructor(name: string, args: { namePrefix: string; resourceGroupName: pulumi.Input<string>; location: string }, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:AzureIdentity", name, {}, opts);
        this.identity = new managedidentity.UserAssignedIdentity(
            `${name}-identity`,
            { resourceName: azureNames(args.namePrefix).identity, resourceGroupName: args.resourceGroupName, location: args.location },
            { parent: this },
        );
        this.id = this.identity.id;
        this.clientId = this.identity.clientId;
        this.principalId = this.identity.principalId;
        this.registerOutputs({ clientId: this.clientId, principalId: this.principalId });
    }
}

/** A VNet-integrated Container Apps environment logging to the Log Analytics workspace. */
export class AzureContainerEnvironment extends pulumi.ComponentResource {
    readonly environment: app.ManagedEnvironment;
    readonly defaultDomain: pulumi.Output<string>;

    constructor(
        name: string,
        args: { namePrefix: string; azure: AzureSpec; resourceGroupName: pulumi.Input<string>; appsSubnetId: pulumi.Input<string>; workspace: operationalinsights.Workspace },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("mlflow:platform:AzureEnvironment", name, {}, opts);
        const { azure } = args;
        const names = azureNames(args.namePrefix);
        const sharedKey = operationalinsights
            .getSharedKeysOutput({ resourceGroupName: args.resourceGroupName, workspaceName: args.workspace.name }, { parent: this })
            .apply((k) => k.primarySharedKey ?? "");
        this.environment = new app.ManagedEnvironment(
            `${name}-env`,
            {
                environmentName: names.environment,
                resourceGroupName: args.resourceGroupName,
                location: azure.location,
                appLogsConfiguration: {
                    destination: "log-analytics",
                    logAnalyticsConfiguration: { customerId: args.workspace.customerId, sharedKey: pulumi.secret(sharedKey) },
                },
                vnetConfiguration: { infrastructureSubnetId: args.appsSubnetId, internal: false },
                workloadProfiles: [{ name: CONSUMPTION_PROFILE, workloadProfileType: CONSUMPTION_PROFILE }],
                zoneRedundant: azure.zoneRedundant,
            },
            { parent: this },
        );

        this.defaultDomain = this.environment.defaultDomain;
        this.registerOutputs({ defaultDomain: this.defaultDomain });
    }
}

export interface AzureContainerAppPlatformArgs {
    namePrefix: string;
    azure: AzureSpec;
    contract: ServerContract;
    resourceGroupName: pulumi.Input<string>;
    subscriptionId: pulumi.Input<string>;
    /** The Container Apps environment (created first: the contract names its default domain). */
    environment: app.ManagedEnvironment;
    identity: AzureServerIdentity;
    /** The image to run: pushed to the registry, or the prebuilt mlflow:image. */
    image: pulumi.Input<string>;
    /** The registry the identity pulls from (with AcrPull granted here); absent for a prebuilt public image. */
    registry?: { id: pulumi.Input<string>; loginServer: pulumi.Input<string> };
    /** Where the identity writes artifacts: the blob container's ARM id (Storage Blob Data Contributor). */
    blobScope?: pulumi.Input<string>;
    /** Every entry of contract.secretEnv, as a Key Vault secret. */
    secrets: VaultSecretRef[];
    /** Grants and resources the app must wait for (Key Vault Secrets User...). */
    dependsOn: pulumi.Resource[];
    /** mlflow:jobRunner "dedicated": the job-runner contract and its replica's CPU (2 GiB per core). */
    jobRunner?: { contract: ServerContract; cpu: string };
}

/**
 * MLflow on Azure Container Apps: a VNet-integrated environment logging to Log Analytics, and one
 * container app running the server contract behind Azure's HTTPS ingress (plus, with
 * mlflow:jobRunner "dedicated", a job-runner app without ingress), with secrets only by Key Vault
 * reference through the app's managed identity.
 */
export class AzureContainerAppPlatform extends pulumi.ComponentResource {
    readonly environment: app.ManagedEnvironment;
    readonly app: app.ContainerApp;
    /** mlflow:jobRunner "dedicated": the one-replica job-runner app. */
    readonly jobRunnerApp?: app.ContainerApp;
    readonly url: pulumi.Output<string>;
    readonly defaultHost: pulumi.Output<string>;
    readonly certificate?: app.ManagedCertificate;
    /** The identity's role assignments (blob container, registry): what anything running as it waits for. */
    readonly grants: pulumi.Resource[];

    constructor(name: string, args: AzureContainerAppPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:Azure", name, {}, opts);
        const { azure, contract, identity } = args;
        const names = azureNames(args.namePrefix);
        this.environment = args.environment;
        const grants: pulumi.Resource[] = [];
        this.grants = grants;

        const grant = (what: string, scope: pulumi.Input<string>, role: string) =>
            new authorization.RoleAssignment(
                `${name}-${what}`,
                {
                    scope,
                    principalId: identity.principalId,
                    principalType: authorization.PrincipalType.ServicePrincipal,
                    roleDefinitionId: pulumi.output(args.subscriptionId).apply((sub) => roleDefinitionId(sub, role)),
                },
                { parent: this },
            );
        if (args.blobScope !== undefined) {
            // Scoped to the one container, not the account: the identity can touch nothing else.
            grants.push(grant("blob-contributor", args.blobScope, AZURE_ROLES.storageBlobDataContributor));
        }
        if (args.registry) {
            grants.push(grant("acr-pull", args.registry.id, AZURE_ROLES.acrPull));
        }

        // Plain values only; every secret arrives as a Key Vault reference (secretRef).
        const envOf = (c: ServerContract) => containerEnv(c.env, args.secrets);
        const env = envOf(contract);
        const registries = args.registry ? [{ server: args.registry.loginServer, identity: identity.id }] : undefined;
        const vaultSecrets = vaultSecretsConfig(args.secrets, identity.id);

        // A custom domain takes two steps. Step 1 (bindCustomDomain false): the host is added to
        // the app unbound and Azure issues a managed certificate once the CNAME and asuid TXT
        // records exist. Step 2 (bindCustomDomain true): the certificate is bound with SNI.
        const newCertificate = (dependsOn: pulumi.Resource[]) =>
            new app.ManagedCertificate(
                `${name}-cert`,
                {
                    environmentName: this.environment.name,
                    resourceGroupName: args.resourceGroupName,
                    location: azure.location,
                    managedCertificateName: resourceName(args.namePrefix, "cert"),
                    properties: { subjectName: azure.customDomain, domainControlValidation: "CNAME" },
                },
                { parent: this, dependsOn },
            );
        if (azure.customDomain && azure.bindCustomDomain) {
            this.certificate = newCertificate([]);
        }
        const customDomains = azure.customDomain
            ? [
                  this.certificate
                      ? { name: azure.customDomain, bindingType: "SniEnabled", certificateId: this.certificate.id }
                      : { name: azure.customDomain, bindingType: "Disabled" },
              ]
            : undefined;

        const probes = azureProbes(contract.port, contract.healthPath);
        this.app = new app.ContainerApp(
            `${name}-app`,
            {
                containerAppName: names.app,
                resourceGroupName: args.resourceGroupName,
                location: azure.location,
                managedEnvironmentId: this.environment.id,
                workloadProfileName: CONSUMPTION_PROFILE,
                identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
                configuration: {
                    activeRevisionsMode: "Single",
                    ingress: {
                        external: true,
                        targetPort: contract.port,
                        transport: "auto",
                        // HTTP is redirected to HTTPS; TLS ends at Azure's ingress with a managed certificate.
                        allowInsecure: false,
                        traffic: [{ latestRevision: true, weight: 100 }],
                        customDomains,
                    },
                    registries,
                    secrets: vaultSecrets,
                },
                template: {
                    containers: [
                        {
                            name: SERVER_CONTAINER_NAME,
                            image: args.image,
                            // The image's ENTRYPOINT is the shared entrypoint; these are `mlflow server` arguments.
                            args: contract.args,
                            env,
                            resources: { cpu: Number(azure.cpu), memory: azure.memory },
                            probes,
                        },
                    ],
                    scale: azureScale(azure),
                },
            },
            { parent: this, dependsOn: [...grants, ...args.dependsOn] },
        );

        if (args.jobRunner) {
            // mlflow:jobRunner "dedicated": one replica, always on, without ingress.
            const runner = args.jobRunner.contract;
            this.jobRunnerApp = new app.ContainerApp(
                `${name}-jobs`,
                {
                    containerAppName: names.jobRunnerApp,
                    resourceGroupName: args.resourceGroupName,
                    location: azure.location,
                    managedEnvironmentId: this.environment.id,
                    workloadProfileName: CONSUMPTION_PROFILE,
                    identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
                    configuration: { activeRevisionsMode: "Single", registries, secrets: vaultSecrets },
                    template: {
                        containers: [
                            {
                                name: SERVER_CONTAINER_NAME,
                                image: args.image,
                                args: runner.args,
                                env: envOf(runner),
                                resources: { cpu: Number(args.jobRunner.cpu), memory: `${Number(args.jobRunner.cpu) * 2}Gi` },
                                probes: azureProbes(runner.port, runner.healthPath),
                            },
                        ],
                        scale: { minReplicas: 1, maxReplicas: 1 },
                    },
                },
                { parent: this, dependsOn: [...grants, ...args.dependsOn] },
            );
        }

        if (azure.customDomain && !azure.bindCustomDomain) {
            this.certificate = newCertificate([this.app]);
        }

        this.defaultHost = pulumi.interpolate`${names.app}.${this.environment.defaultDomain}`;
        const ready = this.app.id;
        this.url =
            azure.customDomain && azure.bindCustomDomain
                ? pulumi.all([ready]).apply(() => `https://${azure.customDomain}`)
                : pulumi.all([ready, this.defaultHost]).apply(([, host]) => `https://${host}`);
        this.registerOutputs({ url: this.url, defaultHost: this.defaultHost });
    }
}
