import * as aws from "@pulumi/aws/getAvailabilityZones";
import * as ec2 from "@pulumi/aws/ec2";
import * as vpc from "@pulumi/aws/vpc";
import * as pulumi from "@pulumi/pulumi";
import { AwsNetworkSpec } from "../../config/aws";
import { CONTAINER_PORT } from "../../contract";

export const POSTGRES_PORT = 5432;
const VPC_CIDR = "10.0.0.0/16";

/** Subnet CIDRs of a created VPC: public 10.0.0.0/24, 10.0.1.0/24...; private 10.0.100.0/24... */
export function subnetCidrs(zones: number): { public: string[]; private: string[] } {
    const range = Array.from({ length: zones }, (_, i) => i);
    return { public: range.map((i) => `10.0.${i}.0/24`), private: range.map((i) => `10.0.${100 + i}.0/24`) };
}

export interface AwsNetworkArgs {
    spec: AwsNetworkSpec;
    namePrefix: string;
    /** Create a NAT gateway so tasks in private subnets reach ECR, S3 and Secrets Manager. */
    natGateway: boolean;
    /** CIDR blocks allowed to reach the load balancer. */
    ingressCidrs: string[];
    /** Open 443 on the load balancer (TLS configured). */
    https: boolean;
    /** Create the database security group (backend rds). */
    database: boolean;
}

/**
 * The network MLflow runs in: a VPC of its own (public subnets for the load balancer and public
 * tasks, private subnets for the database and private tasks) or an existing one, and the three
 * security groups: load balancer from the configured CIDRs, tasks only from the load balancer,
 * the database only from the tasks.
 */
export class AwsNetwork extends pulumi.ComponentResource {
    readonly vpcId: pulumi.Output<string>;
    readonly publicSubnetIds: pulumi.Output<string[]>;
    readonly privateSubnetIds: pulumi.Output<string[]>;
    readonly albSecurityGroup: ec2.SecurityGroup;
    readonly taskSecurityGroup: ec2.SecurityGroup;
    readonly dbSecurityGroup?: ec2.SecurityGroup;

    constructor(name: string, args: AwsNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:AwsNetwork", name, {}, opts);
        const parent = { parent: this };
        const tags = (what: string) => ({ Name: `${args.namePrefix}-${what}` });

        if (args.spec.vpcId) {
            this.vpcId = pulumi.output(args.spec.vpcId);
            this.publicSubnetIds = pulumi.output(args.spec.publicSubnetIds);
            this.privateSubnetIds = pulumi.output(args.spec.privateSubnetIds);
        } else {
            const created = this.createVpc(name, args, tags);
            this.vpcId = created.vpcId;
            this.publicSubnetIds = created.publicSubnetIds;
            this.privateSubnetIds = created.privateSubnetIds;
        }

        this.albSecurityGroup = new ec2.SecurityGroup(`${name}-alb-sg`, { vpcId: this.vpcId, description: "MLflow load balancer: HTTP(S) from the allowed CIDRs", tags: tags("alb") }, parent);
        this.taskSecurityGroup = new ec2.SecurityGroup(`${name}-task-sg`, { vpcId: this.vpcId, description: "MLflow tasks: the MLflow port from the load balancer only", tags: tags("tasks") }, parent);
        const alb = this.albSecurityGroup.id;
        const tasks = this.taskSecurityGroup.id;

        const ports = args.https ? [80, 443] : [80];
        for (const port of ports) {
            args.ingressCidrs.forEach((cidr, i) => {
                new vpc.SecurityGroupIngressRule(
                    `${name}-alb-in-${port}-${i}`,
                    { securityGroupId: alb, ipProtocol: "tcp", fromPort: port, toPort: port, cidrIpv4: cidr, description: `HTTP${port === 443 ? "S" : ""} from ${cidr}` },
                    parent,
                );
            });
        }
        new vpc.SecurityGroupEgressRule(
            `${name}-alb-out-tasks`,
            { securityGroupId: alb, ipProtocol: "tcp", fromPort: CONTAINER_PORT, toPort: CONTAINER_PORT, referencedSecurityGroupId: tasks, description: "to the MLflow tasks" },
            parent,
        );
        new vpc.SecurityGroupIngressRule(
            `${name}-task-in-alb`,
            { securityGroupId: tasks, ipProtocol: "tcp", fromPort: CONTAINER_PORT, toPort: CONTAINER_PORT, referencedSecurityGroupId: alb, description: "MLflow from the load balancer" },
            parent,
        );
        // Tasks reach AWS APIs (ECR, S3, Secrets Manager, CloudWatch Logs) over HTTPS.
        new vpc.SecurityGroupEgressRule(
            `${name}-task-out-https`,
            { securityGroupId: tasks, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", description: "HTTPS to AWS APIs" },
            parent,
        );

        if (args.database) {
            this.dbSecurityGroup = new ec2.SecurityGroup(`${name}-db-sg`, { vpcId: this.vpcId, description: "MLflow database: PostgreSQL from the MLflow tasks only", tags: tags("db") }, parent);
            new vpc.SecurityGroupIngressRule(
                `${name}-db-in-tasks`,
                { securityGroupId: this.dbSecurityGroup.id, ipProtocol: "tcp", fromPort: POSTGRES_PORT, toPort: POSTGRES_PORT, referencedSecurityGroupId: tasks, description: "PostgreSQL from the MLflow tasks" },
                parent,
            );
            new vpc.SecurityGroupEgressRule(
                `${name}-task-out-db`,
                { securityGroupId: tasks, ipProtocol: "tcp", fromPort: POSTGRES_PORT, toPort: POSTGRES_PORT, referencedSecurityGroupId: this.dbSecurityGroup.id, description: "PostgreSQL to the database" },
                parent,
            );
        } else {
            // An external PostgreSQL (mlflow:postgresUrl) may listen anywhere, on any port.
            new vpc.SecurityGroupEgressRule(
                `${name}-task-out-external-db`,
                { securityGroupId: tasks, ipProtocol: "tcp", fromPort: 1, toPort: 65535, cidrIpv4: "0.0.0.0/0", description: "the external PostgreSQL server" },
                parent,
            );
        }

        this.registerOutputs({ vpcId: this.vpcId, publicSubnetIds: this.publicSubnetIds, privateSubnetIds: this.privateSubnetIds });
    }

    private createVpc(name: string, args: AwsNetworkArgs, tags: (what: string) => Record<string, string>) {
        const parent = { parent: this };
        const zones = aws.getAvailabilityZonesOutput({ state: "available" }, parent).names;
        const cidrs = subnetCidrs(args.spec.availabilityZones);
        const network = new ec2.Vpc(`${name}-vpc`, { cidrBlock: VPC_CIDR, enableDnsHostnames: true, enableDnsSupport: true, tags: tags("vpc") }, parent);
        const igw = new ec2.InternetGateway(`${name}-igw`, { vpcId: network.id, tags: tags("igw") }, parent);
        const publicRoutes = new ec2.RouteTable(`${name}-public-rt`, { vpcId: network.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tags("public") }, parent);

        const publicSubnets = cidrs.public.map((cidr, i) => {
            const subnet = new ec2.Subnet(
                `${name}-public-${i}`,
                { vpcId: network.id, cidrBlock: cidr, availabilityZone: zones[i], mapPublicIpOnLaunch: false, tags: tags(`public-${i}`) },
                parent,
            );
            new ec2.RouteTableAssociation(`${name}-public-${i}-rt`, { subnetId: subnet.id, routeTableId: publicRoutes.id }, parent);
            return subnet;
        });

        // One NAT gateway (not one per zone): private tasks lose egress if its zone fails, but
        // running tasks keep serving; one per zone would double its fixed monthly cost.
        let nat: ec2.NatGateway | undefined;
        if (args.natGateway) {
            const eip = new ec2.Eip(`${name}-nat-ip`, { domain: "vpc", tags: tags("nat") }, parent);
            nat = new ec2.NatGateway(`${name}-nat`, { subnetId: publicSubnets[0].id, allocationId: eip.id, tags: tags("nat") }, { parent: this, dependsOn: [igw] });
        }
        const privateRoutes = new ec2.RouteTable(
            `${name}-private-rt`,
            { vpcId: network.id, routes: nat ? [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }] : [], tags: tags("private") },
            parent,
        );
        const privateSubnets = cidrs.private.map((cidr, i) => {
            const subnet = new ec2.Subnet(`${name}-private-${i}`, { vpcId: network.id, cidrBlock: cidr, availabilityZone: zones[i], tags: tags(`private-${i}`) }, parent);
            new ec2.RouteTableAssociation(`${name}-private-${i}-rt`, { subnetId: subnet.id, routeTableId: privateRoutes.id }, parent);
            return subnet;
        });

        return {
            vpcId: network.id,
            publicSubnetIds: pulumi.all(publicSubnets.map((s) => s.id)),
            privateSubnetIds: pulumi.all(privateSubnets.map((s) => s.id)),
        };
    }
}
