import * as appautoscaling from "@pulumi/aws/appautoscaling";
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as ecs from "@pulumi/aws/ecs";
import * as iam from "@pulumi/aws/iam";
import * as pulumi from "@pulumi/pulumi";
import { AwsSpec } from "../../config/aws";
import { ENTRYPOINT_IN_IMAGE, ServerContract } from "../../contract";
import { AwsSecrets } from "./secrets";
import { ECS_TASKS_TRUST, PolicyDocument, secretsReadPolicy } from "./policies";

export const CONTAINER_NAME = "mlflow";
/** Time for a new task to upgrade the schema and start before the balancer's checks count. */
export const HEALTH_CHECK_GRACE_SECONDS = 300;

export interface AwsServiceArgs {
    aws: AwsSpec;
    namePrefix: string;
    contract: ServerContract;
    imageRef: pulumi.Input<string>;
    secrets: AwsSecrets;
    /** The task role's access to the artifact store (undefined: no AWS store to grant). */
    artifactPolicy?: pulumi.Input<PolicyDocument>;
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    securityGroupId: pulumi.Input<string>;
    targetGroupArn: pulumi.Input<string>;
    /** The listener must exist before the service registers with the target group. */
    dependsOn: pulumi.Resource[];
    /** mlflow:jobRunner "dedicated": the job-runner contract and its task's memory (MiB). */
    jobRunner?: { contract: ServerContract; memory: number };
}

type SecretRef = { name: string; valueFrom: string };

/** The task's one container: plain env in `environment`, every secret by ARN in `secrets`. */
function containerDefinitionsFor(imageRef: pulumi.Input<string>, contract: ServerContract, secretRefs: pulumi.Output<SecretRef[]>, logGroupName: pulumi.Output<string>, region: string, streamPrefix: string): pulumi.Output<string> {
    const environment = pulumi
        .all(Object.entries(contract.env).map(([k, v]) => pulumi.all([k, v])))
        .apply((pairs) => pairs.map(([name, value]) => ({ name, value })).sort((a, b) => a.name.localeCompare(b.name)));
    return pulumi.all([imageRef, pulumi.all(contract.args), environment, secretRefs, logGroupName]).apply(([image, command, env, secrets, logGroup]) =>
        JSON.stringify([
            {
                name: CONTAINER_NAME,
                image,
                essential: true,
                command,
                environment: env,
                secrets,
                portMappings: [{ containerPort: contract.port, protocol: "tcp" }],
                healthCheck: {
                    command: ["CMD", "python", ENTRYPOINT_IN_IMAGE, "--healthcheck", String(contract.port)],
                    interval: 15,
                    timeout: 5,
                    retries: 4,
                    // The first start after a version change upgrades the schema before it listens.
                    startPeriod: HEALTH_CHECK_GRACE_SECONDS,
                },
                stopTimeout: 30,
                logConfiguration: {
                    logDriver: "awslogs",
                    options: { "awslogs-group": logGroup, "awslogs-region": region, "awslogs-stream-prefix": streamPrefix },
                },
            },
        ]),
    );
}

/**
 * The server contract on ECS Fargate: a cluster, the task definition (plain env in `environment`,
 * every secret by ARN in `secrets`), a service behind the target group with a deployment
 * circuit breaker that rolls back, CPU target-tracking autoscaling and a log group.
 */
export class AwsService extends pulumi.ComponentResource {
    readonly logGroup: cloudwatch.LogGroup;
    readonly taskDefinition: ecs.TaskDefinition;
    readonly service: ecs.Service;
    /** mlflow:jobRunner "dedicated": the one-task job-runner service. */
    readonly jobRunnerService?: ecs.Service;
    readonly taskRole: iam.Role;
    readonly executionRole: iam.Role;
    readonly cluster: ecs.Cluster;

    constructor(name: string, args: AwsServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:AwsService", name, {}, opts);
        const parent = { parent: this };
        const { aws, contract } = args;

        this.logGroup = new cloudwatch.LogGroup(`${name}-logs`, { name: `/ecs/${args.namePrefix}`, retentionInDays: aws.logRetentionDays }, parent);

        // The execution role pulls the image, writes logs and reads exactly this stack's secrets.
        this.executionRole = new iam.Role(`${name}-execution`, { assumeRolePolicy: JSON.stringify(ECS_TASKS_TRUST), description: `${args.namePrefix} MLflow task execution` }, parent);
        new iam.RolePolicyAttachment(
            `${name}-execution-managed`,
            { role: this.executionRole.name, policyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy" },
            parent,
        );
        new iam.RolePolicy(
            `${name}-execution-secrets`,
            { role: this.executionRole.id, policy: pulumi.all(args.secrets.arns).apply((arns) => JSON.stringify(secretsReadPolicy(arns))) },
            parent,
        );

        // The task role is the server's own identity: the artifact bucket prefix, nothing else.
        this.taskRole = new iam.Role(`${name}-task`, { assumeRolePolicy: JSON.stringify(ECS_TASKS_TRUST), description: `${args.namePrefix} MLflow server` }, parent);
        if (args.artifactPolicy) {
            new iam.RolePolicy(
                `${name}-task-artifacts`,
                { role: this.taskRole.id, policy: pulumi.output(args.artifactPolicy).apply((p) => JSON.stringify(p)) },
                parent,
            );
        }

        const secretRefs = pulumi.all(args.secrets.refs.map((r) => pulumi.all([r.name, r.valueFrom]))).apply((pairs) => pairs.map(([name, valueFrom]) => ({ name, valueFrom })));
        const containerDefinitions = containerDefinitionsFor(args.imageRef, contract, secretRefs, this.logGroup.name, aws.region, "mlflow");

        this.taskDefinition = new ecs.TaskDefinition(
            `${name}-task`,
            {
                family: `${args.namePrefix}-server`,
                requiresCompatibilities: ["FARGATE"],
                networkMode: "awsvpc",
                cpu: String(aws.cpu),
                memory: String(aws.memory),
                runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
                executionRoleArn: this.executionRole.arn,
                taskRoleArn: this.taskRole.arn,
                containerDefinitions,
            },
            parent,
        );

        this.cluster = new ecs.Cluster(`${name}-cluster`, { name: `${args.namePrefix}`, settings: [{ name: "containerInsights", value: "enabled" }] }, parent);
        const cluster = this.cluster;
        this.service = new ecs.Service(
            `${name}-service`,
            {
                name: `${args.namePrefix}-server`,
                cluster: cluster.arn,
                taskDefinition: this.taskDefinition.arn,
                launchType: "FARGATE",
                desiredCount: aws.desiredCount,
                deploymentMinimumHealthyPercent: 100,
                deploymentMaximumPercent: 200,
                deploymentCircuitBreaker: { enable: true, rollback: true },
                healthCheckGracePeriodSeconds: HEALTH_CHECK_GRACE_SECONDS,
                networkConfiguration: {
                    subnets: args.subnetIds,
                    securityGroups: [args.securityGroupId],
                    assignPublicIp: aws.taskSubnets === "public",
                },
                loadBalancers: [{ targetGroupArn: args.targetGroupArn, containerName: CONTAINER_NAME, containerPort: contract.port }],
                propagateTags: "SERVICE",
                enableExecuteCommand: false,
                waitForSteadyState: true,
            },
            // The autoscaler owns the running count once the service exists.
            { parent: this, dependsOn: args.dependsOn, ignoreChanges: ["desiredCount"] },
        );

        const target = new appautoscaling.Target(
            `${name}-scaling`,
            {
                serviceNamespace: "ecs",
                scalableDimension: "ecs:service:DesiredCount",
                resourceId: pulumi.interpolate`service/${cluster.name}/${this.service.name}`,
                minCapacity: aws.minCount,
                maxCapacity: aws.maxCount,
            },
            parent,
        );
        new appautoscaling.Policy(
            `${name}-cpu`,
            {
                policyType: "TargetTrackingScaling",
                serviceNamespace: target.serviceNamespace,
                scalableDimension: target.scalableDimension,
                resourceId: target.resourceId,
                targetTrackingScalingPolicyConfiguration: {
                    targetValue: aws.cpuTargetPercent,
                    predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
                    scaleInCooldown: 300,
                    scaleOutCooldown: 60,
                },
            },
            parent,
        );

        if (args.jobRunner) {
            // mlflow:jobRunner "dedicated": one task, no load balancer, and a deployment that stops
            // the old task before it starts the new one (MLflow's executor engine wants one runner).
            this.jobRunnerService = new ecs.Service(
                `${name}-jobs`,
                {
                    name: `${args.namePrefix}-jobs`,
                    cluster: cluster.arn,
                    taskDefinition: new ecs.TaskDefinition(
                        `${name}-jobs-task`,
                        {
                            family: `${args.namePrefix}-jobs`,
                            requiresCompatibilities: ["FARGATE"],
                            networkMode: "awsvpc",
                            cpu: String(aws.cpu),
                            memory: String(args.jobRunner.memory),
                            runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
                            executionRoleArn: this.executionRole.arn,
                            taskRoleArn: this.taskRole.arn,
                            containerDefinitions: containerDefinitionsFor(args.imageRef, args.jobRunner.contract, secretRefs, this.logGroup.name, aws.region, "jobs"),
                        },
                        parent,
                    ).arn,
                    launchType: "FARGATE",
                    desiredCount: 1,
                    deploymentMinimumHealthyPercent: 0,
                    deploymentMaximumPercent: 100,
                    deploymentCircuitBreaker: { enable: true, rollback: true },
                    networkConfiguration: {
                        subnets: args.subnetIds,
                        securityGroups: [args.securityGroupId],
                        assignPublicIp: aws.taskSubnets === "public",
                    },
                    propagateTags: "SERVICE",
                    enableExecuteCommand: false,
                    waitForSteadyState: true,
                },
                { parent: this, dependsOn: args.dependsOn },
            );
        }

        this.registerOutputs({ logGroup: this.logGroup.name, service: this.service.name });
    }
}
