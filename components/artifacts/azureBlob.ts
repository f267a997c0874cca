import * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { AzureBlobArtifactsSpec } from "../config/spec";
import { blobContainerName, resourceName, storageAccountName, SUFFIX_LENGTH } from "../naming";
import { azureBlobArtifactsContract } from "../stores/contracts";
import { ArtifactStoreContract } from "../stores/types";

export interface AzureBlobArtifactsArgs {
    spec: AzureBlobArtifactsSpec;
    project: string;
    stack: string;
    namePrefix: string;
    /** For an existing account on platforms without a managed identity (Docker). */
    connectionString?: pulumi.Output<string>;
    accountKey?: pulumi.Output<string>;
    /**
     * True where the server has no Azure identity (Docker): the server then gets the created
     * account's key as a secret. False where a managed identity is granted the container.
     */
    useAccountKey: boolean;
    /** Client id of the server's user-assigned managed identity (DefaultAzureCredential). */
    managedIdentityClientId?: pulumi.Input<string>;
    protectData: boolean;
}

/** Azure Blob storage served over wasbs://: a created account + container, or existing ones. */
export class AzureBlobArtifacts extends pulumi.ComponentResource {
    readonly contract: ArtifactStoreContract;
    readonly accountName: pulumi.Output<string>;
    readonly containerName: pulumi.Output<string>;
    readonly destination: pulumi.Output<string>;
    readonly account?: storage.StorageAccount;
    /** The resource group of a created account (created here, or spec.resourceGroup). */
    readonly resourceGroupName?: pulumi.Output<string>;
    /** ARM id of a created container: the scope of the server identity's role assignment. */
    readonly containerId?: pulumi.Output<string>;

    constructor(name: string, args: AzureBlobArtifactsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:artifacts:AzureBlob", name, {}, opts);
        const { spec } = args;
        const dataOpts = { parent: this, protect: args.protectData, retainOnDelete: args.protectData };
        let accountKey: pulumi.Output<string> | undefined = args.accountKey;

        if (spec.storageAccount) {
            this.accountName = pulumi.output(spec.storageAccount);
            this.containerName = pulumi.output(spec.container);
            if (!spec.existingContainer) {
                if (!spec.resourceGroup) {
                    throw new Error("mlflow:artifacts.resourceGroup is needed to create a container in an existing storage account");
                }
                const container = new storage.BlobContainer(
                    `${name}-container`,
                    { accountName: spec.storageAccount, resourceGroupName: spec.resourceGroup, containerName: blobContainerName(spec.container), publicAccess: "None" },
                    dataOpts,
                );
                this.containerName = container.name;
                this.containerId = container.id;
            }
        } else {
            const resourceGroupName: pulumi.Input<string> =
                spec.resourceGroup ??
                new resources.ResourceGroup(`${name}-rg`, { resourceGroupName: resourceName(args.namePrefix, "rg"), location: spec.location }, { parent: this })
                    .name;
            const suffix = new random.RandomString(`${name}-suffix`, { length: SUFFIX_LENGTH, special: false, upper: false }, { parent: this });
            this.account = new storage.StorageAccount(
                `${name}-account`,
                {
                    accountName: suffix.result.apply((s) => storageAccountName(args.project, args.stack, s)),
                    resourceGroupName,
                    location: spec.location,
                    kind: storage.Kind.StorageV2,
                    sku: { name: storage.SkuName.Standard_LRS },
                    enableHttpsTrafficOnly: true,
                    allowBlobPublicAccess: false,
                    minimumTlsVersion: storage.MinimumTlsVersion.TLS1_2,
                    // Shared keys are only needed where the server has no managed identity.
                    allowSharedKeyAccess: args.useAccountKey,
                },
                dataOpts,
            );
            const container = new storage.BlobContainer(
                `${name}-container`,
                { accountName: this.account.name, resourceGroupName, containerName: blobContainerName(spec.container), publicAccess: storage.PublicAccess.None },
                dataOpts,
            );
            this.accountName = this.account.name;
            this.containerName = container.name;
            this.containerId = container.id;
            this.resourceGroupName = pulumi.output(resourceGroupName);
            if (args.useAccountKey) {
                accountKey = storage
                    .listStorageAccountKeysOutput({ accountName: this.account.name, resourceGroupName }, { parent: this })
                    .apply((r) => r.keys[0].value);
            }
        }

        this.contract = azureBlobArtifactsContract({
            account: this.accountName,
            container: this.containerName,
            prefix: spec.prefix,
            connectionString: args.connectionString && pulumi.secret(args.connectionString),
            accountKey: accountKey && pulumi.secret(accountKey),
            managedIdentityClientId: args.managedIdentityClientId,
        });
        this.destination = pulumi.output(this.contract.destination);
        this.registerOutputs({ accountName: this.accountName, containerName: this.containerName, destination: this.destination });
    }
}
