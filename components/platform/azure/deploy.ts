// Azure: Azure Database for PostgreSQL Flexible Server (or an external PostgreSQL), Blob storage
// reached with the app's managed identity, and the server contract on Azure Container Apps with
// its secrets in Key Vault; mlflow:gc as a scheduled Container Apps job, mlflow:alerts as Azure
// Monitor metric alerts, mlflow:restore as a point-in-time restore of the Flexible Server.
import * as authorization from "@pulumi/azure-native/authorization";
import { signInRequired } from "../../config/access";
import * as pulumi from "@pulumi/pulumi";
import { AzureBlobArtifacts } from "../../artifacts/azureBlob";
import { createArtifactStore } from "../../artifacts/select";
import { AzurePostgresBackend } from "../../backend/azurePostgres";
import { ExternalPostgresBackend } from "../../backend/externalPostgres";
import { defaultContainerAppsCpu } from "../../config/azure";
import { footprintMiB } from "../../config/footprint";
import { configSetCommand } from "../../config/problems";
import { DeploymentSpec } from "../../config/spec";
import { buildServerContract } from "../../contract";
import { gcJobContract } from "../../opsContract";
import { BackendStoreContract } from "../../stores/types";
import { PlatformContext, PlatformResult } from "../types";
import { AzureAlerts } from "./alerts";
import { AzureContainerAppPlatform, AzureContainerEnvironment, AzureServerIdentity } from "./containerApp";
import { azureNames, azurePlatformFacts } from "./facts";
import { AzureGcJob } from "./gcJob";
import { AzureFoundation } from "./foundation";
import { AzureSecrets } from "./keyVault";
import { AzureRegistry } from "./registry";

/** The ARM id of an existing blob container: the role assignment's scope. */
export function blobContainerScope(subscriptionId: string, resourceGroup: string, account: string, container: string): string {
    return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Storage/storageAccounts/${account}/blobServices/default/containers/${container}`;
}

/** The artifact settings as the Azure platform runs them: created storage lands in the stack's location and resource group. */
function artifactsOnAzure(spec: DeploymentSpec): DeploymentSpec {
    const azure = spec.azure!;
    const a = spec.artifacts;
    if (a.type !== "azure-blob") {
        return spec;
    }
    return { ...spec, artifacts: { ...a, location: a.location ?? azure.location, resourceGroup: a.resourceGroup ?? azure.resourceGroup } };
}

export function deployOnAzure(ctx: PlatformContext): PlatformResult {
    const { name, secrets, parent } = ctx;
    const azure = ctx.spec.azure;
    if (!azure) {
        throw new Error("platform azure needs mlflow:azure settings (parseConfig fills them in)");
    }
    const spec = artifactsOnAzure(ctx.spec);

    // The artifact store is created first (its resource group may become the stack's), with the
    // identity's client id resolved once the identity exists just below.
    let resolveClientId!: (id: pulumi.Output<string>) => void;
    const clientId = pulumi.output(new Promise<pulumi.Output<string>>((resolve) => (resolveClientId = resolve)));
    const { store, contract: artifacts } = createArtifactStore({ ...ctx, spec }, { azureClientId: clientId });
    const blobStore = store instanceof AzureBlobArtifacts ? store : undefined;

    const foundation = new AzureFoundation(
        `${name}-foundation`,
        { namePrefix: spec.namePrefix, azure, resourceGroupName: azure.resourceGroup ?? blobStore?.resourceGroupName },
        { parent },
    );
    const resourceGroupName = foundation.resourceGroupName;
    const identity = new AzureServerIdentity(`${name}-identity`, { namePrefix: spec.namePrefix, resourceGroupName, location: azure.location }, { parent });
    resolveClientId(identity.clientId);

    const client = authorization.getClientConfigOutput({ parent });

    let backend: BackendStoreContract;
    let databaseEndpoint: pulumi.Output<string> | undefined;
    let databaseId: pulumi.Output<string> | undefined;
    const restore = spec.ops.restore;
    switch (spec.backend.type) {
        case "azure-postgres": {
            if (restore && restore.type !== "pointInTime") {
                // parseConfig refuses these first.
                throw new Error(`mlflow:restore type ${restore.type} is not available on Azure: use pointInTime`);
            }
            const pg = new AzurePostgresBackend(
                `${name}-backend`,
                {
                    spec: spec.backend,
                    namePrefix: spec.namePrefix,
                    resourceGroupName,
                    sso: spec.auth.sso !== undefined,
                    location: azure.location,
                    vnetId: foundation.vnet.id,
                    delegatedSubnetId: foundation.databaseSubnetId,
                    protectData: spec.protectData,
                    restore: restore && { source: restore.source, time: restore.time },
                },
                { parent },
            );
            backend = pg.contract;
            databaseEndpoint = pg.endpoint;
            databaseId = pg.server.id;
            break;
        }
        case "postgres":
            if (spec.backend.mode === "external" && secrets.postgresUrl) {
                backend = new ExternalPostgresBackend(`${name}-backend`, { spec: spec.backend, url: secrets.postgresUrl }, { parent }).contract;
                break;
            }
            throw new Error("backend postgres on azure needs mode external and mlflow:postgresUrl");
        default:
            // parseConfig refuses these first; this guards programmatic use of the component.
            throw new Error(`backend ${spec.backend.type} cannot run on platform azure: use azure-postgres, or postgres with mlflow:postgresUrl`);
    }

    const environment = new AzureContainerEnvironment(
        `${name}-environment`,
        { namePrefix: spec.namePrefix, azure, resourceGroupName, appsSubnetId: foundation.appsSubnetId, workspace: foundation.workspace },
        { parent },
    );
    const stores = { spec, backend, artifacts, platform: azurePlatformFacts(spec, azure, environment.defaultDomain), auth: ctx.auth, sso: ctx.sso };
    const dedicated = spec.jobRunner === "dedicated";
    const contract = buildServerContract({ ...stores, role: dedicated ? "web" : "server" });
    const jobRunner = dedicated
        ? { contract: buildServerContract({ ...stores, role: "job-runner" }), cpu: defaultContainerAppsCpu("0.5", footprintMiB(1, "dedicated", signInRequired(spec.auth), "job-runner", spec.auth.sso !== undefined)) }
        : undefined;
    const gc = gcJobContract({ spec, backend, artifacts });

    let image: pulumi.Input<string>;
    let registry: { id: pulumi.Input<string>; loginServer: pulumi.Input<string> } | undefined;
    if (contract.image.kind === "build") {
        const acr = new AzureRegistry(
            `${name}-registry`,
            { project: spec.project, stack: spec.stack, resourceGroupName, location: azure.location, image: contract.image },
            { parent },
        );
        image = acr.imageRef;
        registry = { id: acr.registry.id, loginServer: acr.loginServer };
    } else {
        image = contract.image.ref;
    }

    const vault = new AzureSecrets(
        `${name}-secrets`,
        {
            project: spec.project,
            stack: spec.stack,
            resourceGroupName,
            location: azure.location,
            tenantId: client.tenantId,
            subscriptionId: client.subscriptionId,
            // The gc job reads the server's own secrets (its secretEnv is a part of the server's).
            secretEnv: { ...gc?.secretEnv, ...contract.secretEnv },
            readerPrincipalId: identity.principalId,
            protectData: spec.protectData,
        },
        { parent },
    );

    let blobScope: pulumi.Input<string> | undefined;
    let artifactStore: pulumi.Output<string> | undefined;
    if (blobStore) {
        const a = spec.artifacts as Extract<DeploymentSpec["artifacts"], { type: "azure-blob" }>;
        artifactStore = pulumi.interpolate`${blobStore.accountName}/${blobStore.containerName}`;
        if (blobStore.containerId) {
            blobScope = blobStore.containerId;
        } else if (a.resourceGroup && a.storageAccount) {
            const rg = a.resourceGroup;
            const account = a.storageAccount;
            blobScope = client.subscriptionId.apply((sub) => blobContainerScope(sub, rg, account, a.container));
        } else if (!secrets.azureStorageConnectionString && !secrets.azureStorageAccountKey) {
            throw new Error(
                `the existing storage account ${a.storageAccount} needs its resource group, so the server's identity can be granted its container: ${configSetCommand(spec.stack, "artifacts.resourceGroup", "<resource group of the account>")}`,
            );
        }
    }

    const platform = new AzureContainerAppPlatform(
        `${name}-platform`,
        {
            namePrefix: spec.namePrefix,
            azure,
            contract,
            resourceGroupName,
            subscriptionId: client.subscriptionId,
            environment: environment.environment,
            identity,
            image,
            registry,
            blobScope,
            secrets: vault.secrets,
            dependsOn: [vault.readerGrant],
            jobRunner,
        },
        { parent },
    );

    const names = azureNames(spec.namePrefix);
    const gcJob = gc
        ? new AzureGcJob(
              `${name}-gc`,
              {
                  jobName: names.gcJob,
                  azure,
                  job: gc,
                  resourceGroupName,
                  environment: environment.environment,
                  identity,
                  image,
                  registry,
                  secrets: vault.secrets,
                  // After the server: a new image's schema upgrade runs in the server's start.
                  dependsOn: [...platform.grants, vault.readerGrant, platform.app],
              },
              { parent },
          )
        : undefined;

    if (spec.ops.alerts) {
        new AzureAlerts(
            `${name}-alerts`,
            {
                namePrefix: spec.namePrefix,
                alerts: spec.ops.alerts,
                resourceGroupName,
                actionGroupName: names.actionGroup,
                minReplicas: azure.minReplicas,
                appId: platform.app.id,
                databaseId,
                gcJobId: gcJob?.job.id,
            },
            { parent },
        );
    }

    return {
        url: platform.url,
        contract,
        artifactDestination: pulumi.output(artifacts.destination),
        logs: foundation.workspace.name,
        artifactStore,
        databaseEndpoint,
    };
}
