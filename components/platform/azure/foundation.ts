import * as network from "@pulumi/azure-native/network";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import { AzureSpec } from "../../config/azure";
import { azureNames } from "./facts";

export interface AzureFoundationArgs {
    namePrefix: string;
    azure: AzureSpec;
    /** A resource group that exists or that another component creates; absent: created here. */
    resourceGroupName?: pulumi.Input<string>;
}

/**
 * The ground the stack stands on: its resource group, a virtual network with a subnet for the
 * Container Apps environment and a subnet delegated to PostgreSQL Flexible Server, and a Log
 * Analytics workspace with a retention.
 */
export class AzureFoundation extends pulumi.ComponentResource {
    readonly resourceGroupName: pulumi.Output<string>;
    readonly vnet: network.VirtualNetwork;
    readonly appsSubnetId: pulumi.Output<string>;
    readonly databaseSubnetId: pulumi.Output<string>;
    readonly workspace: operationalinsights.Workspace;

    constructor(name: string, args: AzureFoundationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:AzureFoundation", name, {}, opts);
        const { azure } = args;
        const names = azureNames(args.namePrefix);

        this.resourceGroupName =
            args.resourceGroupName !== undefined
                ? pulumi.output(args.resourceGroupName)
                : new resources.ResourceGroup(`${name}-rg`, { resourceGroupName: names.resourceGroup, location: azure.location }, { parent: this }).name;

        // Subnets are declared inside the network: separate Subnet resources and a network that
        // does not list them fight over the subnet list on every update.
        this.vnet = new network.VirtualNetwork(
            `${name}-vnet`,
            {
                virtualNetworkName: names.vnet,
                resourceGroupName: this.resourceGroupName,
                location: azure.location,
                addressSpace: { addressPrefixes: [azure.network.vnetCidr] },
                subnets: [
                    {
                        name: names.appsSubnet,
                        addressPrefix: azure.network.appsSubnetCidr,
                        delegations: [{ name: "container-apps", serviceName: "Microsoft.App/environments" }],
                    },
                    {
                        name: names.databaseSubnet,
                        addressPrefix: azure.network.databaseSubnetCidr,
                        delegations: [{ name: "postgres-flexible", serviceName: "Microsoft.DBforPostgreSQL/flexibleServers" }],
                    },
                ],
            },
            { parent: this },
        );
        this.appsSubnetId = pulumi.interpolate`${this.vnet.id}/subnets/${names.appsSubnet}`;
        this.databaseSubnetId = pulumi.interpolate`${this.vnet.id}/subnets/${names.databaseSubnet}`;

        this.workspace = new operationalinsights.Workspace(
            `${name}-logs`,
            {
                workspaceName: names.logs,
                resourceGroupName: this.resourceGroupName,
                location: azure.location,
                sku: { name: "PerGB2018" },
                retentionInDays: azure.logRetentionDays,
            },
            { parent: this },
        );

        this.registerOutputs({ resourceGroupName: this.resourceGroupName, vnetId: this.vnet.id, workspaceId: this.workspace.id });
    }
}
