import * as ecs from "@pulumi/aws/ecs";
import * as iam from "@pulumi/aws/iam";
import * as scheduler from "@pulumi/aws/scheduler";
import * as pulumi from "@pulumi/pulumi";
import { AwsSpec } from "../../config/aws";
import { toEventBridgeCron } from "../../config/operations";
import { JobContract } from "../../opsContract";
import { Value } from "../../stores/types";
import { gcSchedulePolicy, schedulerTrust } from "./opsPolicies";
import { ECS_TASKS_TRUST, secretsReadPolicy } from "./policies";
import { AwsSecrets, TaskSecretRef } from "./secrets";

export const GC_CONTAINER_NAME = "mlflow-gc";
/** `mlflow gc` is one process: a quarter of the server's usual size, memory for MLflow's imports. */
export const GC_TASK_SIZE = { cpu: 512, memory: 1024 };
/** Scheduler retries a RunTask that failed (no capacity, throttling) for up to an hour. */
export const GC_RETRY = { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 };

export interface AwsGcJobArgs {
    aws: AwsSpec;
    namePrefix: string;
    /** gcJobContract(): the server's image with `--gc`, its env and secret env. */
    job: JobContract;
    imageRef: pulumi.Input<string>;
    /** The server's secrets and the values behind them: a job variable with the very same value reuses the server's secret. */
    serverSecrets: AwsSecrets;
    serverSecretEnv: Record<string, Value>;
    protectData: boolean;
    /** The server's identity: the gc task deletes artifacts with the same grant. */
    taskRole: iam.Role;
    logGroupName: pulumi.Input<string>;
    cluster: ecs.Cluster;
    /** The server's subnets and security group: the path to the database. */
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    securityGroupId: pulumi.Input<string>;
    account: pulumi.Input<string>;
}

/**
 * `mlflow gc` on a schedule: a Fargate task definition (the server's image, `--gc`, plain env in
 * `environment`, every secret by ARN from Secrets Manager, the server's task role, logs in the
 * server's log group under `gc/`), and an EventBridge Scheduler schedule that runs it on the
 * server's cluster and network, with a role that may start only this task.
 */
export class AwsGcJob extends pulumi.ComponentResource {
    readonly taskDefinition: ecs.TaskDefinition;
    readonly executionRole: iam.Role;
    readonly schedule: scheduler.Schedule;

    constructor(name: string, args: AwsGcJobArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:AwsGcJob", name, {}, opts);
        const parent = { parent: this };
        const { aws, job } = args;

        const secretRefs = this.secretRefs(name, args);
        const secretArns = pulumi.all(secretRefs.map((r) => r.valueFrom));

        // Its own execution role: it reads only the job's secrets, not the server's admin password.
        this.executionRole = new iam.Role(`${name}-execution`, { assumeRolePolicy: JSON.stringify(ECS_TASKS_TRUST), description: `${args.namePrefix} MLflow gc task execution` }, parent);
        new iam.RolePolicyAttachment(
            `${name}-execution-managed`,
            { role: this.executionRole.name, policyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy" },
            parent,
        );
        new iam.RolePolicy(`${name}-execution-secrets`, { role: this.executionRole.id, policy: secretArns.apply((arns) => JSON.stringify(secretsReadPolicy(arns))) }, parent);

        this.taskDefinition = new ecs.TaskDefinition(
            `${name}-task`,
            {
                family: `${args.namePrefix}-gc`,
                requiresCompatibilities: ["FARGATE"],
                networkMode: "awsvpc",
                cpu: String(GC_TASK_SIZE.cpu),
                memory: String(GC_TASK_SIZE.memory),
                runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
                executionRoleArn: this.executionRole.arn,
                taskRoleArn: args.taskRole.arn,
                containerDefinitions: jobContainerDefinitions(args.imageRef, job, secretRefs, args.logGroupName, aws.region),
            },
            parent,
        );

        const role = new iam.Role(
            `${name}-scheduler`,
            { assumeRolePolicy: pulumi.output(args.account).apply((account) => JSON.stringify(schedulerTrust(account))), description: `${args.namePrefix} MLflow gc schedule` },
            parent,
        );
        const policy = new iam.RolePolicy(
            `${name}-scheduler-run`,
            {
                role: role.id,
                policy: pulumi
                    .all([this.taskDefinition.arnWithoutRevision, args.cluster.arn, this.executionRole.arn, args.taskRole.arn])
                    .apply(([taskFamilyArn, clusterArn, execution, task]) => JSON.stringify(gcSchedulePolicy({ taskFamilyArn, clusterArn, passRoleArns: [execution, task] }))),
            },
            parent,
        );

        this.schedule = new scheduler.Schedule(
            `${name}-schedule`,
            {
                name: `${args.namePrefix}-gc`,
                description: `MLflow ${args.namePrefix}: mlflow gc, cron "${job.schedule}" in UTC`,
                scheduleExpression: toEventBridgeCron(job.schedule),
                scheduleExpressionTimezone: "UTC",
                flexibleTimeWindow: { mode: "OFF" },
                state: "ENABLED",
                target: {
                    arn: args.cluster.arn,
                    roleArn: role.arn,
                    ecsParameters: {
                        taskDefinitionArn: this.taskDefinition.arn,
                        launchType: "FARGATE",
                        taskCount: 1,
                        networkConfiguration: {
                            subnets: args.subnetIds,
                            securityGroups: [args.securityGroupId],
                            assignPublicIp: aws.taskSubnets === "public",
                        },
                    },
                    retryPolicy: GC_RETRY,
                },
            },
            // The role must hold its permission before the first run.
            { parent: this, dependsOn: [policy] },
        );

        this.registerOutputs({ taskDefinition: this.taskDefinition.arn, schedule: this.schedule.name });
    }

    /** The job's secret variables: the server's secret where the value is the server's own, else a secret of the job's. */
    private secretRefs(name: string, args: AwsGcJobArgs): TaskSecretRef[] {
        const server = new Map(args.serverSecrets.refs.map((r) => [r.name, r]));
        const own: Record<string, Value> = {};
        const refs: TaskSecretRef[] = [];
        for (const [envName, value] of Object.entries(args.job.secretEnv)) {
            const shared = server.get(envName);
            if (shared && args.serverSecretEnv[envName] === value) {
                refs.push(shared);
            } else {
                own[envName] = value;
            }
        }
        if (Object.keys(own).length > 0) {
            refs.push(...new AwsSecrets(`${name}-secrets`, { namePrefix: `${args.namePrefix}-gc`, values: own, protectData: args.protectData }, { parent: this }).refs);
        }
        return refs.sort((a, b) => a.name.localeCompare(b.name));
    }
}

/** The job's one container: entrypoint args as `command`, plain env, secrets by ARN, logs under `gc/`. */
function jobContainerDefinitions(imageRef: pulumi.Input<string>, job: JobContract, secretRefs: TaskSecretRef[], logGroupName: pulumi.Input<string>, region: string): pulumi.Output<string> {
    const environment = pulumi
        .all(Object.entries(job.env).map(([k, v]) => pulumi.all([k, v])))
        .apply((pairs) => pairs.map(([name, value]) => ({ name, value })).sort((a, b) => a.name.localeCompare(b.name)));
    const secrets = pulumi.all(secretRefs.map((r) => pulumi.all([r.name, r.valueFrom]))).apply((pairs) => pairs.map(([name, valueFrom]) => ({ name, valueFrom })));
    return pulumi.all([imageRef, environment, secrets, logGroupName]).apply(([image, env, secretList, logGroup]) =>
        JSON.stringify([
            {
                name: GC_CONTAINER_NAME,
                image,
                essential: true,
                command: job.args,
                environment: env,
                secrets: secretList,
                logConfiguration: {
                    logDriver: "awslogs",
                    options: { "awslogs-group": logGroup, "awslogs-region": region, "awslogs-stream-prefix": "gc" },
                },
            },
        ]),
    );
}
