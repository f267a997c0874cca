import * as gcpCompute from "@pulumi/gcp/compute";
import * as gcpServiceNetworking from "@pulumi/gcp/servicenetworking";
import * as pulumi from "@pulumi/pulumi";
import { GcpNetworkSpec } from "../../config/gcp";
import { GcpNames } from "./facts";

export interface GcpNetworkArgs {
    project: string;
    region: string;
    spec: GcpNetworkSpec;
    names: GcpNames;
    dependsOn?: pulumi.Input<pulumi.Resource[]>;
}

/**
 * The private network Cloud SQL lives on and Cloud Run reaches it through (Direct VPC egress):
 * a VPC with one subnetwork in the region, and private services access (a reserved range peered
 * with Google's service producer network) so Cloud SQL gets a private IP and no public one.
 * With an existing network, private services access must already be set up on it.
 */
export class GcpNetwork extends pulumi.ComponentResource {
    /** `projects/<p>/global/networks/<n>`: what Cloud SQL's privateNetwork takes. */
    readonly networkId: pulumi.Output<string>;
    readonly networkName: pulumi.Output<string>;
    readonly subnetworkName: pulumi.Output<string>;
    /** Resources the database must wait for (the peering). */
    readonly ready: pulumi.Resource[] = [];

    constructor(name: string, args: GcpNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:GcpNetwork", name, {}, opts);
        const { spec, names, project, region } = args;
        if (spec.network && spec.subnetwork) {
            this.networkName = pulumi.output(spec.network);
            this.networkId = pulumi.output(`projects/${project}/global/networks/${spec.network}`);
            this.subnetworkName = pulumi.output(spec.subnetwork);
        } else {
            const network = new gcpCompute.Network(
                `${name}-vpc`,
                { project, name: names.network, autoCreateSubnetworks: false, routingMode: "REGIONAL" },
                { parent: this, dependsOn: args.dependsOn },
            );
            const subnetwork = new gcpCompute.Subnetwork(
                `${name}-subnet`,
                { project, region, name: names.subnetwork, network: network.id, ipCidrRange: spec.subnetCidr, privateIpGoogleAccess: true },
                { parent: this },
            );
            const range = new gcpCompute.GlobalAddress(
                `${name}-services-range`,
                { project, name: names.servicesRange, purpose: "VPC_PEERING", addressType: "INTERNAL", prefixLength: 20, network: network.id },
                { parent: this },
            );
            const peering = new gcpServiceNetworking.Connection(
                `${name}-services-peering`,
                { network: network.id, service: "servicenetworking.googleapis.com", reservedPeeringRanges: [range.name] },
                { parent: this },
            );
            this.ready.push(peering);
            this.networkName = network.name;
            this.networkId = network.id;
            this.subnetworkName = subnetwork.name;
        }
        this.registerOutputs({ networkId: this.networkId, subnetworkName: this.subnetworkName });
    }
}
