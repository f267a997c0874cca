// The documents behind the AWS platform's day-2 operations (the scheduled gc task and the alerts):
// trust and permission policies, the key and topic policies, the gc failure event pattern and the
// storage threshold. Pure: unit-tested without mocks.
import { PolicyDocument } from "./policies";

/** A statement of a resource policy (trust, key or topic policy): it names who it lets in. */
export interface ResourceStatement {
    Sid: string;
    Effect: "Allow";
    Principal: { Service: string | string[] } | { AWS: string };
    Action: string | string[];
    Resource?: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface ResourcePolicy {
    Version: "2012-10-17";
    Statement: ResourceStatement[];
}

/** EventBridge Scheduler may assume the role, for schedules of this account only (confused deputy). */
export function schedulerTrust(account: string): ResourcePolicy {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "SchedulerOfThisAccount",
                Effect: "Allow",
                Principal: { Service: "scheduler.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
        ],
    };
}

export interface GcSchedulePolicyInput {
    /** The gc task definition's ARN without its revision (`...:task-definition/<family>`). */
    taskFamilyArn: string;
    clusterArn: string;
    /** The gc task's execution role and task role. */
    passRoleArns: string[];
}

/** What the schedule's role may do: start the gc task (any revision) on this cluster, and hand it its two roles. */
export function gcSchedulePolicy({ taskFamilyArn, clusterArn, passRoleArns }: GcSchedulePolicyInput): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "RunGcTask",
                Effect: "Allow",
                Action: ["ecs:RunTask"],
                Resource: [`${taskFamilyArn}:*`],
                Condition: { ArnEquals: { "ecs:cluster": [clusterArn] } },
            },
            {
                Sid: "PassGcTaskRoles",
                Effect: "Allow",
                Action: ["iam:PassRole"],
                Resource: [...passRoleArns].sort(),
                Condition: { StringLike: { "iam:PassedToService": ["ecs-tasks.amazonaws.com"] } },
            },
        ],
    };
}

/**
 * EventBridge pattern: a gc task of this cluster stopped with a container that exited non-zero,
 * or a gc task that never started (image pull, secrets or network failure).
 */
export function gcFailurePattern(clusterArn: string, taskFamilyArn: string): object {
    return {
        source: ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        detail: {
            clusterArn: [clusterArn],
            taskDefinitionArn: [{ prefix: `${taskFamilyArn}:` }],
            lastStatus: ["STOPPED"],
            $or: [{ containers: { exitCode: [{ "anything-but": 0 }] } }, { stopCode: ["TaskFailedToStart"] }],
        },
    };
}

/** The AWS services that publish the stack's alerts to its topic. */
export const ALERT_PUBLISHERS = { alarms: "cloudwatch.amazonaws.com", events: "events.amazonaws.com", database: "events.rds.amazonaws.com" };

/**
 * The topic's key. AWS services publish to an encrypted topic only with a customer managed key
 * whose policy lets them use it (the AWS managed alias/aws/sns cannot be granted to them):
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 * No source conditions here: EventBridge's requests to KMS carry none; the topic policy scopes who publishes.
 */
export function alertsKeyPolicy(partition: string, account: string): ResourcePolicy {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "AccountAdministersKey", Effect: "Allow", Principal: { AWS: `arn:${partition}:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
            {
                Sid: "AlertPublishersEncrypt",
                Effect: "Allow",
                Principal: { Service: Object.values(ALERT_PUBLISHERS) },
                Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                Resource: "*",
            },
        ],
    };
}

export interface AlertsTopicPolicyInput {
    topicArn: string;
    partition: string;
    region: string;
    account: string;
    /** Alarm names start with it (`<namePrefix>-...`). */
    namePrefix: string;
    /** The gc failure rule, when gc runs. */
    gcRuleArn?: string;
    /** The RDS instance, when the stack runs one. */
    databaseArn?: string;
}

/** Who may publish to the stack's topic: its alarms, its gc failure rule, its database's events. */
export function alertsTopicPolicy(i: AlertsTopicPolicyInput): ResourcePolicy {
    const publish = (Sid: string, service: string, condition: ResourceStatement["Condition"]): ResourceStatement => ({
        Sid,
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sns:Publish",
        Resource: i.topicArn,
        Condition: condition,
    });
    const statements = [
        publish("StackAlarms", ALERT_PUBLISHERS.alarms, {
            StringEquals: { "aws:SourceAccount": i.account },
            ArnLike: { "aws:SourceArn": `arn:${i.partition}:cloudwatch:${i.region}:${i.account}:alarm:${i.namePrefix}-*` },
        }),
    ];
    if (i.gcRuleArn) {
        statements.push(publish("GcTaskFailures", ALERT_PUBLISHERS.events, { ArnEquals: { "aws:SourceArn": i.gcRuleArn } }));
    }
    if (i.databaseArn) {
        statements.push(
            publish("DatabaseEvents", ALERT_PUBLISHERS.database, {
                StringEquals: { "aws:SourceAccount": i.account },
                ArnLike: { "aws:SourceArn": [i.databaseArn, `arn:${i.partition}:rds:${i.region}:${i.account}:es:${i.namePrefix}-*`] },
            }),
        );
    }
    return { Version: "2012-10-17", Statement: statements };
}

const GIB = 1024 ** 3;

/**
 * FreeStorageSpace (bytes) below which more than `storagePercent` of the configured storage is
 * used. With storage autoscaling RDS grows the disk once less than 10% is free; the threshold stays
 * these bytes, so after a growth it fires later (at a smaller share of the larger disk).
 */
export function freeStorageThresholdBytes(allocatedStorageGb: number, storagePercent: number): number {
    return Math.round((allocatedStorageGb * GIB * (100 - storagePercent)) / 100);
}

/**
 * The RDS event categories the topic gets: the instance failed or stopped, its storage ran low
 * (and autoscaling could not help). RDS reports no backup failure for instances: its `backup`
 * category holds only "backing up" and "finished backup", twice a day, so it is left out.
 */
export const DATABASE_EVENT_CATEGORIES = ["availability", "failure", "low storage"];
