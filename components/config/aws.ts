// `mlflow:aws` (platform aws) and `mlflow:backend` type rds -> typed settings. Pure.

import { checkMemory, withHeadroom } from "./footprint";
import { boolField, choiceField, Collector, intField, parseSettings, PG_IDENT, PG_IDENT_TEXT, PlatformParseContext, stringField, stringListField } from "./collector";
import { RdsBackendSpec } from "./spec";

export const AWS_FIELDS = [
    "vpcId",
    "publicSubnetIds",
    "privateSubnetIds",
    "availabilityZones",
    "taskSubnets",
    "cpu",
    "memory",
    "desiredCount",
    "minCount",
    "maxCount",
    "cpuTargetPercent",
    "logRetentionDays",
    "ingressCidrs",
    "certificateArn",
    "domain",
    "hostedZoneId",
    "allowInsecureHttp",
    "idleTimeoutSeconds",
];

export const RDS_FIELDS = ["type", "instanceClass", "allocatedStorageGb", "maxAllocatedStorageGb", "database", "authDatabase", "user", "multiAz", "backupRetentionDays"];

/** Retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** Fargate CPU units -> the memory sizes (MiB) it allows. */
export const FARGATE_MEMORY: Record<number, [number, number, number]> = {
    256: [512, 2048, 1024],
    512: [1024, 4096, 1024],
    1024: [2048, 8192, 1024],
    2048: [4096, 16384, 1024],
    4096: [8192, 30720, 1024],
    8192: [16384, 61440, 4096],
    16384: [32768, 122880, 8192],
};

/** The memory sizes Fargate allows with a CPU size, smallest first. */
export function fargateMemorySizes(cpu: number): number[] {
    const range = FARGATE_MEMORY[cpu];
    if (!range) return [];
    const [min, max, step] = range;
    const sizes = [min];
    for (let m = Math.ceil((min + 1) / step) * step; m <= max; m += step) sizes.push(m);
    return sizes;
}

/** The smallest Fargate memory size with 30% headroom over the footprint (footprint.ts). */
export function defaultFargateMemory(cpu: number, footprint: number | undefined): number {
    const sizes = fargateMemorySizes(cpu);
    const need = footprint === undefined ? 0 : withHeadroom(footprint, 1);
    return sizes.find((m) => m >= need) ?? sizes[sizes.length - 1] ?? 2048;
}

export interface AwsNetworkSpec {
    /** An existing VPC; absent: the program creates one. */
    vpcId?: string;
    publicSubnetIds: string[];
    privateSubnetIds: string[];
    /** Availability zones of a created VPC. */
    availabilityZones: number;
}

export interface AwsTlsSpec {
    /** An ACM certificate to serve; or one the program requests for `domain`. */
    certificateArn?: string;
    /** The custom host name users reach MLflow by. */
    domain?: string;
    /** Route 53 zone of `domain`: DNS validation of the certificate and an alias record. */
    hostedZoneId?: string;
}

export interface AwsSpec {
    region: string;
    network: AwsNetworkSpec;
    /**
     * `public`: tasks in public subnets with a public IP (egress without a NAT gateway), reachable
     * only from the load balancer's security group. `private`: private subnets behind NAT.
     */
    taskSubnets: "public" | "private";
    cpu: number;
    memory: number;
    desiredCount: number;
    minCount: number;
    maxCount: number;
    cpuTargetPercent: number;
    logRetentionDays: number;
    ingressCidrs: string[];
    tls: AwsTlsSpec;
    /** Serve plain HTTP without TLS even on prod (explicit opt-out). */
    allowInsecureHttp: boolean;
    /** Load balancer idle timeout; the server keeps connections open longer. */
    idleTimeoutSeconds: number;
}

const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;

export function parseAwsSettings(c: Collector, value: unknown, ctx: PlatformParseContext, backendType: string | undefined): AwsSpec | undefined {
    const region = ctx.providerConfig["aws:region"];
    if (!region) {
        c.add("aws", "needs the AWS region, and aws:region is not set", "an AWS region for the stack's provider, e.g. eu-west-1", `pulumi config set aws:region eu-west-1 --stack ${ctx.stack}`);
    }
    const obj = parseSettings(c, "aws", value, AWS_FIELDS);
    if (!obj) {
        return undefined;
    }
    const k = "aws";
    const vpcId = stringField(c, k, obj, "vpcId", /^vpc-[0-9a-f]{8,17}$/, "an existing VPC id such as vpc-0123456789abcdef0, or unset to create one");
    const publicSubnetIds = stringListField(c, k, obj, "publicSubnetIds", SUBNET_ID, "subnet ids (subnet-...) in at least two availability zones, for the load balancer");
    const privateSubnetIds = stringListField(c, k, obj, "privateSubnetIds", SUBNET_ID, "subnet ids (subnet-...) in at least two availability zones, for the database (and private tasks)");
    const availabilityZones = intField(c, k, obj, "availabilityZones", 2, 6, 2, "zones of the created VPC");
    const taskSubnets = choiceField(c, k, obj, "taskSubnets", ["public", "private"] as const, "public");
    const cpu = intField(c, k, obj, "cpu", 256, 16384, 1024, "Fargate CPU units");
    const memory = intField(c, k, obj, "memory", 512, 122880, defaultFargateMemory(cpu ?? 1024, ctx.server?.footprintMiB), "MiB");
    const desiredDefault = ctx.production ? 2 : 1;
    const desiredCount = intField(c, k, obj, "desiredCount", 1, 100, desiredDefault, "tasks");
    const minCount = intField(c, k, obj, "minCount", ctx.production ? 2 : 1, 100, desiredCount ?? desiredDefault, ctx.production ? "tasks; prod keeps at least two, one per zone" : "tasks");
    const maxCount = intField(c, k, obj, "maxCount", 1, 100, Math.max(ctx.production ? 4 : 2, desiredCount ?? 1), "tasks");
    const cpuTargetPercent = intField(c, k, obj, "cpuTargetPercent", 10, 95, 60, "% average CPU the autoscaler aims for");
    const logRetentionDays = intField(c, k, obj, "logRetentionDays", 1, 3653, ctx.production ? 90 : 30, "days");
    const ingressCidrs = stringListField(c, k, obj, "ingressCidrs", CIDR, "IPv4 CIDR blocks allowed to reach the load balancer, e.g. 203.0.113.0/24", ["0.0.0.0/0"]);
    const certificateArn = stringField(c, k, obj, "certificateArn", /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, "an ACM certificate ARN in the stack's region");
    const domain = stringField(c, k, obj, "domain", /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/, "a fully qualified lower-case host name such as mlflow.example.com");
    const hostedZoneId = stringField(c, k, obj, "hostedZoneId", /^Z[A-Z0-9]{4,32}$/, "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ");
    const allowInsecureHttp = boolField(c, k, obj, "allowInsecureHttp", false);
    const idleTimeoutSeconds = intField(c, k, obj, "idleTimeoutSeconds", 30, 3600, 120, "seconds");

    if (logRetentionDays !== undefined && !LOG_RETENTION_DAYS.includes(logRetentionDays)) {
        c.add("aws.logRetentionDays", `got ${logRetentionDays}`, `a CloudWatch Logs retention: ${LOG_RETENTION_DAYS.join(", ")}`, c.set("aws.logRetentionDays", "30"));
    }
    if (cpu !== undefined && memory !== undefined) {
        const range = FARGATE_MEMORY[cpu];
        if (!range) {
            c.add("aws.cpu", `got ${cpu}`, `a Fargate CPU size: ${Object.keys(FARGATE_MEMORY).join(", ")}`, c.set("aws.cpu", "1024"));
        } else if (!fargateMemorySizes(cpu).includes(memory)) {
            // 256 CPU units allow 512 MiB besides the 1 GiB steps: the sizes, not the range, decide.
            const sizes = fargateMemorySizes(cpu);
            const allowed = sizes.length <= 4 ? `${sizes.join(", ")} MiB for cpu ${cpu}` : `${range[0]} to ${range[1]} MiB in steps of ${range[2]} for cpu ${cpu}`;
            c.add("aws.memory", `${memory} MiB does not fit ${cpu} CPU units`, allowed, c.set("aws.memory", String(defaultFargateMemory(cpu, ctx.server?.footprintMiB))));
        }
    }
    if (cpu !== undefined && memory !== undefined && ctx.server) {
        const fit = defaultFargateMemory(cpu, ctx.server.footprintMiB);
        checkMemory(c, { key: "aws.memory", givenMiB: memory, footprintMiB: ctx.server.footprintMiB, fixKey: "aws.memory", fixValue: String(fit), running: ctx.server.running });
    }
    if (minCount !== undefined && maxCount !== undefined && desiredCount !== undefined && !(minCount <= desiredCount && desiredCount <= maxCount)) {
        // Raise what is too low: the desired count to the minimum, the maximum to the desired count.
        const desired = Math.max(desiredCount, minCount);
        const fixes = [desired !== desiredCount ? c.set("aws.desiredCount", String(desired)) : "", desired > maxCount ? c.set("aws.maxCount", String(desired)) : ""].filter((f) => f);
        c.add("aws.desiredCount", `min ${minCount}, desired ${desiredCount}, max ${maxCount}`, "minCount <= desiredCount <= maxCount", fixes.join(" && "));
    }
    if (vpcId === undefined && (publicSubnetIds?.length || privateSubnetIds?.length)) {
        c.add("aws.vpcId", "is not set, but subnets are", "the id of the VPC those subnets belong to", c.set("aws.vpcId", "vpc-0123456789abcdef0"));
    }
    if (vpcId !== undefined) {
        if (!publicSubnetIds || publicSubnetIds.length < 2) {
            c.add("aws.publicSubnetIds", `has ${publicSubnetIds?.length ?? 0} subnet(s) for the existing VPC ${vpcId}`, "at least two public subnets in different zones (an ALB needs two)", c.set("aws.publicSubnetIds", "[\"subnet-aaaa1111\",\"subnet-bbbb2222\"]"));
        }
        const needPrivate = backendType === "rds" || taskSubnets === "private";
        if (needPrivate && (!privateSubnetIds || privateSubnetIds.length < 2)) {
            c.add(
                "aws.privateSubnetIds",
                `has ${privateSubnetIds?.length ?? 0} subnet(s) for the existing VPC ${vpcId}`,
                `at least two private subnets in different zones, for ${backendType === "rds" ? "the RDS database (a DB subnet group needs two zones)" : "the private tasks"}`,
                c.set("aws.privateSubnetIds", "[\"subnet-cccc3333\",\"subnet-dddd4444\"]"),
            );
        }
    }
    if (domain !== undefined && certificateArn === undefined && hostedZoneId === undefined) {
        c.add("aws.hostedZoneId", `is not set, and there is no certificateArn for ${domain}`, "the Route 53 zone of the domain (the program requests and DNS-validates a certificate), or aws.certificateArn", c.set("aws.hostedZoneId", "Z0123456789ABCDEFGHIJ"));
    }
    if (certificateArn !== undefined && domain === undefined) {
        c.add("aws.domain", "is not set, but certificateArn is", "the host name the certificate covers (the ALB's own name is not on it), e.g. mlflow.example.com", c.set("aws.domain", "mlflow.example.com"));
    }
    if (hostedZoneId !== undefined && domain === undefined) {
        c.add("aws.domain", "is not set, but hostedZoneId is", "the host name to serve in that zone, e.g. mlflow.example.com", c.set("aws.domain", "mlflow.example.com"));
    }
    const tls = certificateArn !== undefined || (domain !== undefined && hostedZoneId !== undefined);
    if (!tls && allowInsecureHttp === false) {
        const fix = `${c.set("aws.domain", "mlflow.example.com")} && ${c.set("aws.hostedZoneId", "Z0123456789ABCDEFGHIJ")}`;
        if (ctx.production) {
            c.add(
                "aws",
                "has no TLS (no certificateArn, no domain + hostedZoneId) on prod: passwords and data would cross the internet in clear text",
                "aws.certificateArn, or aws.domain with aws.hostedZoneId; or explicitly aws.allowInsecureHttp true",
                fix,
            );
        } else {
            c.warnings.push(`mlflow:aws has no TLS: stack ${ctx.stack} serves plain HTTP on the load balancer. Set aws.certificateArn or aws.domain + aws.hostedZoneId for HTTPS.`);
        }
    }

    const values = [region, publicSubnetIds, privateSubnetIds, availabilityZones, taskSubnets, cpu, memory, desiredCount, minCount, maxCount, cpuTargetPercent, logRetentionDays, ingressCidrs, allowInsecureHttp, idleTimeoutSeconds];
    if (values.some((v) => v === undefined)) {
        return undefined;
    }
    return {
        region: region!,
        network: { vpcId, publicSubnetIds: publicSubnetIds!, privateSubnetIds: privateSubnetIds!, availabilityZones: availabilityZones! },
        taskSubnets: taskSubnets!,
        cpu: cpu!,
        memory: memory!,
        desiredCount: desiredCount!,
        minCount: minCount!,
        maxCount: maxCount!,
        cpuTargetPercent: cpuTargetPercent!,
        logRetentionDays: logRetentionDays!,
        ingressCidrs: ingressCidrs!,
        tls: { certificateArn, domain, hostedZoneId },
        allowInsecureHttp: allowInsecureHttp!,
        idleTimeoutSeconds: idleTimeoutSeconds!,
    };
}

export function parseRdsBackend(c: Collector, obj: Record<string, unknown>, ctx: PlatformParseContext): RdsBackendSpec | undefined {
    const k = "backend";
    // prod's default runs up to four tasks: db.t4g.micro's connections would leave each engine a
    // pool of 4 (components/config/connections.ts), db.t4g.small's leave 9.
    const instanceClass = stringField(c, k, obj, "instanceClass", /^db\.[a-z0-9]+\.[a-z0-9]+$/, "an RDS instance class such as db.t4g.micro", ctx.production ? "db.t4g.small" : "db.t4g.micro");
    const allocatedStorageGb = intField(c, k, obj, "allocatedStorageGb", 20, 65536, 20, "GiB");
    const maxAllocatedStorageGb = intField(c, k, obj, "maxAllocatedStorageGb", 20, 65536, Math.max(100, allocatedStorageGb ?? 20), "GiB, storage autoscaling ceiling");
    const database = stringField(c, k, obj, "database", PG_IDENT, PG_IDENT_TEXT, "mlflow");
    const authDatabase = stringField(c, k, obj, "authDatabase", PG_IDENT, PG_IDENT_TEXT, "mlflow_auth");
    const user = stringField(c, k, obj, "user", PG_IDENT, PG_IDENT_TEXT, "mlflow");
    const multiAz = boolField(c, k, obj, "multiAz", ctx.production);
    const backupRetentionDays = intField(c, k, obj, "backupRetentionDays", 1, 35, ctx.production ? 14 : 7, "days");
    if (allocatedStorageGb !== undefined && maxAllocatedStorageGb !== undefined && maxAllocatedStorageGb < allocatedStorageGb) {
        c.add("backend.maxAllocatedStorageGb", `${maxAllocatedStorageGb} is below allocatedStorageGb ${allocatedStorageGb}`, "a ceiling at least the allocated storage", c.set("backend.maxAllocatedStorageGb", String(allocatedStorageGb * 5)));
    }
    if (user === "postgres" || user === "rdsadmin") {
        c.add("backend.user", `${user} is reserved by RDS`, "another role name, e.g. mlflow", c.set("backend.user", "mlflow"));
    }
    if (database !== undefined && database === authDatabase) {
        c.add("backend.authDatabase", `is the same database as backend.database (${database})`, "a separate database for the basic-auth app", c.set("backend.authDatabase", `${database}_auth`));
    }
    if (!instanceClass || allocatedStorageGb === undefined || maxAllocatedStorageGb === undefined || !database || !authDatabase || !user || multiAz === undefined || backupRetentionDays === undefined) {
        return undefined;
    }
    return { type: "rds", instanceClass, allocatedStorageGb, maxAllocatedStorageGb, database, authDatabase, user, multiAz, backupRetentionDays };
}
