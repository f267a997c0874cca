import * as assert from "assert";
import { ConfigError } from "../../components/config/problems";
import { parseConfig, ParseInput } from "../../components/config/parse";
import { fargateMemorySizes } from "../../components/config/aws";
import { s3ArtifactPolicy, secretsReadPolicy } from "../../components/platform/aws/policies";
import { allStrings, plainStrings, ProgramRun, RegisteredResource, runProgram, stackFileConfig } from "./harness";

const ADMIN_PASSWORD = "Adm1n-aws pass@word:/?#%&";
const DB_PASSWORD = "rds-Pw!#%&*-_+=:?x9";
const runs: Record<string, ProgramRun> = {};

interface ContainerDefinition {
    image: string;
    command: string[];
    environment: { name: string; value: string }[];
    secrets: { name: string; valueFrom: string }[];
    healthCheck: { command: string[] };
    logConfiguration: { logDriver: string; options: Record<string, string> };
}

/** The server's task definition (mlflow:gc adds the gc task's beside it). */
function serverTask(run: ProgramRun): RegisteredResource {
    return named(run, "aws:ecs/taskDefinition:TaskDefinition", "-service-task");
}

function containerDefinition(run: ProgramRun): ContainerDefinition {
    const defs = JSON.parse(serverTask(run).inputs.containerDefinitions as string) as ContainerDefinition[];
    assert.strictEqual(defs.length, 1);
    return defs[0];
}

function argValue(args: string[], flag: string): string {
    const i = args.indexOf(flag);
    assert.ok(i >= 0, `no ${flag} in ${args.join(" ")}`);
    return args[i + 1];
}

function named(run: ProgramRun, type: string, suffix: string): RegisteredResource {
    const found = run.byType(type).filter((r) => r.name.endsWith(suffix));
    assert.strictEqual(found.length, 1, `${type} *${suffix}: found ${found.map((r) => r.name).join(", ")}`);
    return found[0];
}

function policyOf(r: RegisteredResource): { Statement: { Action: string[]; Resource: string | string[]; Condition?: unknown }[] } {
    return JSON.parse(r.inputs.policy as string);
}

function failure(stack: string, raw: Record<string, unknown>, extra: Partial<ParseInput> = {}): string {
    try {
        parseConfig({ project: "mlflow", stack, raw, secretsSet: new Set(), providerConfig: { "aws:region": "eu-west-1" }, ...extra });
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return e.message;
    }
    assert.fail("expected the configuration to be refused");
}

describe("AWS platform under mocks (stack files staging and prod)", function () {
    this.timeout(60000);

    before(async () => {
        for (const stack of ["staging", "prod"]) {
            runs[stack] = await runProgram(
                stack,
                { ...stackFileConfig(stack), "mlflow:adminPassword": ADMIN_PASSWORD, "mlflow:dbPassword": DB_PASSWORD },
                ["mlflow:adminPassword", "mlflow:dbPassword"],
            );
        }
    });

    it("RDS: private, encrypted, pinned major version; staging single-AZ 7-day backups, prod Multi-AZ 14 days with deletion protection and a final snapshot", () => {
        for (const [stack, multiAz, backups, prod] of [["staging", false, 7, false], ["prod", true, 14, true]] as const) {
            const db = runs[stack].one("aws:rds/instance:Instance");
            assert.strictEqual(db.inputs.engine, "postgres");
            assert.strictEqual(db.inputs.engineVersion, "17");
            assert.strictEqual(db.inputs.allowMajorVersionUpgrade, false);
            assert.strictEqual(db.inputs.storageEncrypted, true);
            assert.strictEqual(db.inputs.publiclyAccessible, false);
            assert.strictEqual(db.inputs.multiAz, multiAz, `${stack} multiAz`);
            assert.strictEqual(db.inputs.backupRetentionPeriod, backups, `${stack} backups`);
            assert.strictEqual(db.inputs.deletionProtection, prod, `${stack} deletion protection`);
            assert.strictEqual(db.inputs.skipFinalSnapshot, !prod);
            if (prod) {
                assert.match(String(db.inputs.finalSnapshotIdentifier), /^mlflow-prod-final-/);
            }
            assert.deepStrictEqual(db.options.protect, prod, `${stack}: protect`);
            assert.deepStrictEqual(db.options.retainOnDelete, prod, `${stack}: kept on destroy`);
        }
        assert.strictEqual(runs.staging.one("aws:rds/instance:Instance").inputs.instanceClass, "db.t4g.micro");
    });

    it("the database subnet group uses the private subnets only", () => {
        const group = runs.prod.one("aws:rds/subnetGroup:SubnetGroup");
        assert.deepStrictEqual(group.inputs.subnetIds, ["mlflow-prod-network-private-0-id", "mlflow-prod-network-private-1-id"]);
        for (const s of runs.prod.byType("aws:ec2/subnet:Subnet")) {
            assert.notStrictEqual(s.inputs.mapPublicIpOnLaunch, true, `${s.name} gives public IPs to everything`);
        }
    });

    it("S3: encrypted, versioned, public access blocked; prod protects and keeps it", () => {
        for (const stack of ["staging", "prod"]) {
            const run = runs[stack];
            const bucket = run.one("aws:s3/bucket:Bucket");
            assert.strictEqual(bucket.options.protect, stack === "prod");
            assert.strictEqual(bucket.options.retainOnDelete, stack === "prod");
            assert.strictEqual(bucket.inputs.forceDestroy, stack !== "prod");
            const block = run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
            assert.deepStrictEqual([block.blockPublicAcls, block.blockPublicPolicy, block.ignorePublicAcls, block.restrictPublicBuckets], [true, true, true, true]);
            assert.ok(run.byType("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").length === 1);
            assert.deepStrictEqual(run.one("aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration, { status: "Enabled" });
        }
    });

    it("security groups: ALB from anywhere on 80/443, tasks only from the ALB on 5000, database only from the tasks on 5432", () => {
        const run = runs.prod;
        const ingress = run.byType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
        const albIn = ingress.filter((r) => r.inputs.securityGroupId === "mlflow-prod-network-alb-sg-id");
        assert.deepStrictEqual(albIn.map((r) => [r.inputs.fromPort, r.inputs.cidrIpv4]).sort(), [[443, "0.0.0.0/0"], [80, "0.0.0.0/0"]]);
        const taskIn = ingress.filter((r) => r.inputs.securityGroupId === "mlflow-prod-network-task-sg-id");
        assert.deepStrictEqual(taskIn.map((r) => [r.inputs.fromPort, r.inputs.toPort, r.inputs.referencedSecurityGroupId, r.inputs.cidrIpv4]), [[5000, 5000, "mlflow-prod-network-alb-sg-id", undefined]]);
        const dbIn = ingress.filter((r) => r.inputs.securityGroupId === "mlflow-prod-network-db-sg-id");
        assert.deepStrictEqual(dbIn.map((r) => [r.inputs.fromPort, r.inputs.toPort, r.inputs.referencedSecurityGroupId, r.inputs.cidrIpv4]), [[5432, 5432, "mlflow-prod-network-task-sg-id", undefined]]);
        assert.deepStrictEqual(run.one("aws:rds/instance:Instance").inputs.vpcSecurityGroupIds, ["mlflow-prod-network-db-sg-id"]);
    });

    it("ingress CIDRs from config restrict the load balancer", async () => {
        const config = stackFileConfig("staging");
        const run = await runProgram("staging", { ...config, "mlflow:aws": { ...(config["mlflow:aws"] as object), ingressCidrs: ["203.0.113.0/24", "198.51.100.0/24"] } });
        const albIn = run.byType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.securityGroupId === "mlflow-staging-network-alb-sg-id");
        assert.deepStrictEqual(albIn.map((r) => r.inputs.cidrIpv4).sort(), ["198.51.100.0/24", "203.0.113.0/24"]);
    });

    it("load balancer: target group health check on /health; prod HTTPS with a DNS-validated certificate and an HTTP redirect; staging plain HTTP", () => {
        for (const stack of ["staging", "prod"]) {
            const tg = runs[stack].one("aws:lb/targetGroup:TargetGroup");
            assert.strictEqual((tg.inputs.healthCheck as { path: string }).path, "/health");
            assert.strictEqual(tg.inputs.targetType, "ip");
            assert.strictEqual(tg.inputs.port, 5000);
        }
        const prodListeners = runs.prod.byType("aws:lb/listener:Listener");
        const https = prodListeners.find((l) => l.inputs.port === 443)!;
        assert.strictEqual(https.inputs.protocol, "HTTPS");
        assert.match(String(https.inputs.sslPolicy), /TLS13/);
        const http = prodListeners.find((l) => l.inputs.port === 80)!;
        assert.deepStrictEqual((http.inputs.defaultActions as { type: string; redirect: { protocol: string } }[])[0].redirect.protocol, "HTTPS");
        assert.strictEqual(runs.prod.one("aws:acm/certificate:Certificate").inputs.validationMethod, "DNS");
        assert.strictEqual(runs.prod.outputs.url, "https://mlflow.example.com");
        const stagingListeners = runs.staging.byType("aws:lb/listener:Listener");
        assert.deepStrictEqual(stagingListeners.map((l) => [l.inputs.port, l.inputs.protocol]), [[80, "HTTP"]]);
        assert.match(String(runs.staging.outputs.url), /^http:\/\/mlflow-staging-lb-alb-.*\.elb\.amazonaws\.com$/);
    });

    it("idle timeout and keep-alive fit: the server keeps connections open longer than the ALB", () => {
        for (const stack of ["staging", "prod"]) {
            const idle = runs[stack].one("aws:lb/loadBalancer:LoadBalancer").inputs.idleTimeout as number;
            const opts = containerDefinition(runs[stack]).command.find((a) => a.startsWith("--uvicorn-opts="))!;
            const keepAlive = Number(/--timeout-keep-alive (\d+)/.exec(opts)![1]);
            assert.ok(keepAlive > idle, `keep-alive ${keepAlive} <= idle timeout ${idle}`);
        }
    });

    it("allowed hosts and CORS origins cover the ALB DNS name and the custom domain", () => {
        const args = containerDefinition(runs.prod).command;
        const hosts = argValue(args, "--allowed-hosts").split(",");
        const alb = "mlflow-prod-lb-alb-1234567890.eu-west-1.elb.amazonaws.com";
        for (const h of ["mlflow.example.com", "mlflow.example.com:*", alb, `${alb}:*`]) {
            assert.ok(hosts.includes(h), `${h} not in ${hosts.join(",")}`);
        }
        assert.deepStrictEqual(argValue(args, "--cors-allowed-origins").split(","), ["https://mlflow.example.com", `https://${alb}`]);
        const stagingHosts = argValue(containerDefinition(runs.staging).command, "--allowed-hosts");
        assert.ok(stagingHosts.includes("mlflow-staging-lb-alb-1234567890.eu-west-1.elb.amazonaws.com"));
    });

    it("the task definition holds no secret in environment or command and takes every secret from Secrets Manager", () => {
        for (const stack of ["staging", "prod"]) {
            const run = runs[stack];
            const def = containerDefinition(run);
            const plain = [...def.command, ...def.environment.map((e) => e.value), def.image];
            const generated = [`generated mlflow-${stack}-flask-secret-key`, `generated mlflow-${stack}-admin-password`];
            for (const value of plain) {
                for (const secret of [ADMIN_PASSWORD, DB_PASSWORD, encodeURIComponent(DB_PASSWORD), ...generated]) {
                    assert.ok(!value.includes(secret), `${stack}: plain task definition value shows a secret: ${value}`);
                }
                assert.ok(!/postgresql(\+psycopg2)?:\/\//.test(value), `${stack}: a database URI in plain: ${value}`);
            }
            assert.deepStrictEqual(def.secrets.map((s) => s.name), ["MLFLOW_AUTH_ADMIN_PASSWORD", "MLFLOW_AUTH_DATABASE_URI", "MLFLOW_BACKEND_STORE_URI", "MLFLOW_FLASK_SERVER_SECRET_KEY"]);
            for (const s of def.secrets) {
                assert.match(s.valueFrom, new RegExp(`^arn:aws:secretsmanager:.*:secret:mlflow-${stack}/${s.name}-`));
            }
            // No resource but the secret versions (and the generators) carries a secret in a plain input.
            for (const r of run.resources) {
                if (r.type.startsWith("random:")) continue;
                for (const s of plainStrings(r.inputs)) {
                    for (const secret of [ADMIN_PASSWORD, DB_PASSWORD, ...generated]) {
                        assert.ok(!s.includes(secret), `${r.type} ${r.name} shows a secret in a plain input`);
                    }
                }
            }
            const values = run.byType("aws:secretsmanager/secretVersion:SecretVersion").flatMap((v) => allStrings(v.inputs.secretString));
            assert.ok(values.includes(ADMIN_PASSWORD), "the admin password is stored in Secrets Manager");
            assert.ok(values.some((v) => v.startsWith("postgresql+psycopg2://mlflow:") && v.includes(".rds.amazonaws.com:5432/mlflow")), "the backend URI is stored in Secrets Manager");
            assert.ok(run.secretOutputs.has("adminPassword"));
        }
    });

    it("container health check, logs with retention, circuit breaker with rollback, Fargate sizes", () => {
        for (const [stack, retention] of [["staging", 30], ["prod", 90]] as const) {
            const run = runs[stack];
            const def = containerDefinition(run);
            assert.deepStrictEqual(def.healthCheck.command, ["CMD", "python", "/opt/mlflow-deploy/entrypoint.py", "--healthcheck", "5000"]);
            assert.strictEqual(def.logConfiguration.logDriver, "awslogs");
            const logs = run.one("aws:cloudwatch/logGroup:LogGroup");
            assert.strictEqual(logs.inputs.retentionInDays, retention);
            assert.strictEqual(def.logConfiguration.options["awslogs-group"], logs.inputs.name);
            assert.strictEqual(run.outputs.logs, `/ecs/mlflow-${stack}`);
            const service = run.one("aws:ecs/service:Service");
            assert.deepStrictEqual(service.inputs.deploymentCircuitBreaker, { enable: true, rollback: true });
            assert.strictEqual(service.inputs.launchType, "FARGATE");
            const task = serverTask(run);
            assert.deepStrictEqual([task.inputs.cpu, task.inputs.memory], ["1024", "2048"]);
            assert.match(def.image, /\.dkr\.ecr\..*\/mlflow-[a-z]+-server@sha256:/);
        }
    });

    it("autoscaling bounds: staging 1-2 tasks, prod 2-4 on CPU target tracking", () => {
        for (const [stack, min, max, desired] of [["staging", 1, 2, 1], ["prod", 2, 4, 2]] as const) {
            const target = runs[stack].one("aws:appautoscaling/target:Target");
            assert.deepStrictEqual([target.inputs.minCapacity, target.inputs.maxCapacity], [min, max]);
            assert.strictEqual(runs[stack].one("aws:ecs/service:Service").inputs.desiredCount, desired);
            const policy = runs[stack].one("aws:appautoscaling/policy:Policy");
            const config = policy.inputs.targetTrackingScalingPolicyConfiguration as { predefinedMetricSpecification: { predefinedMetricType: string }; targetValue: number };
            assert.strictEqual(config.predefinedMetricSpecification.predefinedMetricType, "ECSServiceAverageCPUUtilization");
            assert.strictEqual(config.targetValue, 60);
        }
    });

    it("IAM: the task role reaches only this stack's bucket prefix; the execution role reads only this stack's secrets", () => {
        for (const stack of ["staging", "prod"]) {
            const run = runs[stack];
            const bucket = `mlflow-${stack}-artifacts-k3x9q2ab`;
            const artifacts = policyOf(named(run, "aws:iam/rolePolicy:RolePolicy", "-task-artifacts"));
            const resources = artifacts.Statement.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
            assert.deepStrictEqual(resources.sort(), [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/${stack}/*`]);
            assert.ok(!JSON.stringify(artifacts).includes("s3:*"));
            const secrets = policyOf(named(run, "aws:iam/rolePolicy:RolePolicy", "-service-execution-secrets"));
            assert.deepStrictEqual(secrets.Statement[0].Action, ["secretsmanager:GetSecretValue"]);
            const arns = secrets.Statement[0].Resource as string[];
            assert.strictEqual(arns.length, 4);
            for (const arn of arns) {
                assert.match(arn, new RegExp(`:secret:mlflow-${stack}/`));
            }
        }
    });

    it("outputs: URL, tracking URI, log group, bucket and database endpoint", () => {
        const o = runs.prod.outputs;
        assert.strictEqual(o.trackingUri, "https://mlflow.example.com");
        assert.strictEqual(o.artifactStore, "mlflow-prod-artifacts-k3x9q2ab");
        assert.match(String(o.databaseEndpoint), /\.rds\.amazonaws\.com:5432$/);
        assert.strictEqual(o.artifactDestination, "s3://mlflow-prod-artifacts-k3x9q2ab/prod");
    });

    it("an existing VPC: no VPC created, tasks and database in the given subnets", async () => {
        const config = stackFileConfig("staging");
        const run = await runProgram("staging", {
            ...config,
            "mlflow:aws": { vpcId: "vpc-0123456789abcdef0", publicSubnetIds: ["subnet-aaaa1111", "subnet-bbbb2222"], privateSubnetIds: ["subnet-cccc3333", "subnet-dddd4444"], taskSubnets: "private" },
        });
        assert.strictEqual(run.byType("aws:ec2/vpc:Vpc").length, 0);
        assert.strictEqual(run.byType("aws:ec2/natGateway:NatGateway").length, 0);
        assert.deepStrictEqual(run.one("aws:rds/subnetGroup:SubnetGroup").inputs.subnetIds, ["subnet-cccc3333", "subnet-dddd4444"]);
        const network = run.one("aws:ecs/service:Service").inputs.networkConfiguration as { subnets: string[]; assignPublicIp: boolean };
        assert.deepStrictEqual(network, { ...network, subnets: ["subnet-cccc3333", "subnet-dddd4444"], assignPublicIp: false });
        assert.deepStrictEqual(run.one("aws:lb/loadBalancer:LoadBalancer").inputs.subnets, ["subnet-aaaa1111", "subnet-bbbb2222"]);
    });

    it("private tasks in a created VPC get a NAT gateway; public tasks (the default) get public IPs and no NAT", async () => {
        const config = stackFileConfig("staging");
        const run = await runProgram("staging", { ...config, "mlflow:aws": { ...(config["mlflow:aws"] as object), taskSubnets: "private" } });
        assert.strictEqual(run.byType("aws:ec2/natGateway:NatGateway").length, 1);
        assert.strictEqual((run.one("aws:ecs/service:Service").inputs.networkConfiguration as { assignPublicIp: boolean }).assignPublicIp, false);
        assert.strictEqual(runs.staging.byType("aws:ec2/natGateway:NatGateway").length, 0);
        assert.strictEqual((runs.staging.one("aws:ecs/service:Service").inputs.networkConfiguration as { assignPublicIp: boolean }).assignPublicIp, true);
    });

    it("prod with the explicit HTTP opt-out plans an HTTP listener", async () => {
        const config = stackFileConfig("prod");
        const run = await runProgram("prod", { ...config, "mlflow:aws": { minCount: 2, allowInsecureHttp: true } });
        assert.deepStrictEqual(run.byType("aws:lb/listener:Listener").map((l) => l.inputs.port), [80]);
        assert.strictEqual(run.byType("aws:acm/certificate:Certificate").length, 0);
    });
});

describe("AWS policies (pure)", () => {
    it("the artifact policy names one bucket and one prefix", () => {
        const p = s3ArtifactPolicy("b1", "/team/prod/");
        assert.deepStrictEqual(p.Statement[0].Condition, { StringLike: { "s3:prefix": ["team/prod", "team/prod/*"] } });
        assert.strictEqual(p.Statement[1].Resource, "arn:aws:s3:::b1/team/prod/*");
    });

    it("the secrets policy lists exactly the given ARNs", () => {
        assert.deepStrictEqual(secretsReadPolicy(["b", "a"]).Statement[0].Resource, ["a", "b"]);
    });
});

describe("AWS configuration errors", () => {
    it("SQLite on AWS", () => {
        const m = failure("staging", { platform: "aws", backend: "sqlite", artifacts: "s3" });
        assert.match(m, /mlflow:backend.type: sqlite on platform aws/);
        assert.match(m, /Fix: pulumi config set --path mlflow:backend.type rds --stack staging/);
    });

    it("RDS with a foreign VPC but no subnets", () => {
        const m = failure("staging", { platform: "aws", backend: "rds", artifacts: "s3", aws: { vpcId: "vpc-0123456789abcdef0" } });
        assert.match(m, /mlflow:aws.privateSubnetIds: has 0 subnet\(s\) for the existing VPC vpc-0123456789abcdef0.*RDS database/);
        assert.match(m, /mlflow:aws.publicSubnetIds: has 0 subnet\(s\)/);
        assert.match(m, /Fix: pulumi config set --path mlflow:aws.privateSubnetIds/);
    });

    it("prod without TLS and without the explicit opt-out", () => {
        const m = failure("prod", { platform: "aws", backend: "rds", artifacts: "s3" });
        assert.match(m, /mlflow:aws: has no TLS .* on prod/);
        assert.match(m, /aws.allowInsecureHttp true/);
        assert.match(m, /Fix: pulumi config set --path mlflow:aws.domain mlflow.example.com --stack prod && pulumi config set --path mlflow:aws.hostedZoneId/);
        // Staging without TLS plans, with a warning.
        const { warnings } = parseConfig({ project: "mlflow", stack: "staging", raw: { platform: "aws", backend: "rds", artifacts: "s3" }, secretsSet: new Set(), providerConfig: { "aws:region": "eu-west-1" } });
        assert.ok(warnings.some((w) => w.includes("serves plain HTTP")));
    });

    it("no region, a Fargate size that does not exist, min above max, a certificate without its domain", () => {
        const noRegion = failure("staging", { platform: "aws", backend: "rds", artifacts: "s3" }, { providerConfig: {} });
        assert.match(noRegion, /Fix: pulumi config set aws:region eu-west-1 --stack staging/);
        const m = failure("staging", {
            platform: "aws",
            backend: "rds",
            artifacts: "s3",
            aws: { cpu: 1024, memory: 1000, minCount: 3, maxCount: 2, certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc-123" },
        });
        assert.match(m, /mlflow:aws.memory: 1000 MiB does not fit 1024 CPU units/);
        assert.match(m, /mlflow:aws.desiredCount: min 3, desired 1, max 2/);
        assert.match(m, /mlflow:aws.domain: is not set, but certificateArn is/);
    });

    it("prod keeps at least two tasks", () => {
        const m = failure("prod", { platform: "aws", backend: "rds", artifacts: "s3", aws: { minCount: 1, allowInsecureHttp: true } });
        assert.match(m, /mlflow:aws.minCount: got 1. Allowed: an integer from 2 to 100/);
        // With desiredCount 1 the fix still names an allowed minimum, not the refused 1.
        const withDesired = failure("prod", { platform: "aws", backend: "rds", artifacts: "s3", aws: { desiredCount: 1, minCount: 1, allowInsecureHttp: true } });
        assert.match(withDesired, /mlflow:aws.minCount: got 1\..*\n {4}Fix: pulumi config set --path mlflow:aws.minCount 2 --stack prod/);
    });

    it("every Fargate memory size of a CPU size is accepted, 512 MiB on 256 units too; a size that does not fit gets one that does", () => {
        const raw = (cpu: number, memory: number) => ({ platform: "aws", backend: "rds", artifacts: "s3", auth: false, aws: { cpu, memory } });
        const parse = (cpu: number, memory: number) => parseConfig({ project: "mlflow", stack: "staging", raw: raw(cpu, memory), secretsSet: new Set(), providerConfig: { "aws:region": "eu-west-1" } });
        for (const cpu of [256, 512, 1024]) {
            for (const memory of fargateMemorySizes(cpu)) {
                assert.strictEqual(parse(cpu, memory).spec.aws!.memory, memory, `cpu ${cpu} memory ${memory}`);
            }
        }
        assert.deepStrictEqual(fargateMemorySizes(256), [512, 1024, 2048]);
        const m = failure("staging", raw(256, 1536));
        assert.match(m, /mlflow:aws.memory: 1536 MiB does not fit 256 CPU units. Allowed: 512, 1024, 2048 MiB for cpu 256/);
        const fix = /Fix: pulumi config set --path mlflow:aws.memory (\d+) --stack staging/.exec(m);
        assert.ok(fix, m);
        assert.strictEqual(parse(256, Number(fix[1])).spec.aws!.memory, Number(fix[1]));
    });

    it("desired count outside min..max: the fix raises what is too low", () => {
        const m = failure("staging", { platform: "aws", backend: "rds", artifacts: "s3", aws: { minCount: 3, desiredCount: 1, maxCount: 2 } });
        assert.ok(m.includes("pulumi config set --path mlflow:aws.desiredCount 3 --stack staging && pulumi config set --path mlflow:aws.maxCount 3 --stack staging"), m);
        const above = failure("staging", { platform: "aws", backend: "rds", artifacts: "s3", aws: { minCount: 1, desiredCount: 3, maxCount: 2 } });
        assert.match(above, /mlflow:aws.desiredCount: min 1, desired 3, max 2.*\n {4}Fix: pulumi config set --path mlflow:aws.maxCount 3 --stack staging$/m);
    });
});
