import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as kms from "@pulumi/aws/kms";
import * as rds from "@pulumi/aws/rds";
import * as sns from "@pulumi/aws/sns";
import * as pulumi from "@pulumi/pulumi";
import { AlertsSpec } from "../../config/operations";
import { alertsKeyPolicy, alertsTopicPolicy, DATABASE_EVENT_CATEGORIES, freeStorageThresholdBytes, gcFailurePattern } from "./opsPolicies";

/** Minutes without a healthy target before the server counts as down. */
export const UNHEALTHY_MINUTES = 3;
/** The database's CPU above the threshold this long (3 periods of 5 minutes). */
export const CPU_PERIODS = 3;

export interface AwsAlertsArgs {
    alerts: AlertsSpec;
    namePrefix: string;
    region: string;
    account: pulumi.Output<string>;
    partition: pulumi.Output<string>;
    /** `app/<name>/<id>` and `targetgroup/<name>/<id>`: the metrics' dimensions. */
    loadBalancerArnSuffix: pulumi.Output<string>;
    targetGroupArnSuffix: pulumi.Output<string>;
    /** The RDS instance; undefined with an external PostgreSQL (no database alarms then). */
    database?: { identifier: pulumi.Output<string>; arn: pulumi.Output<string>; allocatedStorageGb: number };
    /** The scheduled gc task; undefined with mlflow:gc false. */
    gcJob?: { clusterArn: pulumi.Output<string>; taskFamilyArn: pulumi.Output<string> };
}

/**
 * mlflow:alerts on AWS: a KMS-encrypted SNS topic with an e-mail subscription per address (and/or
 * the given topic), CloudWatch alarms on the server (no healthy target, 5xx answers) and the
 * database (CPU, free storage) that send both ALARM and OK, an EventBridge rule for failed gc
 * tasks, and an RDS event subscription for the instance's failures and low storage.
 */
export class AwsAlerts extends pulumi.ComponentResource {
    /** Every topic the alerts go to: the created one (with e-mail) and the given one. */
    readonly topicArns: pulumi.Output<string>[];
    readonly topic?: sns.Topic;

    constructor(name: string, args: AwsAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:AwsAlerts", name, {}, opts);
        const parent = { parent: this };
        const { alerts, namePrefix } = args;

        const gcRule = args.gcJob
            ? new cloudwatch.EventRule(
                  `${name}-gc-failed`,
                  {
                      name: `${namePrefix}-gc-failed`,
                      description: `MLflow ${namePrefix}: a scheduled mlflow gc task failed (non-zero exit, or it did not start). Logs: the server's log group, streams gc/...`,
                      eventPattern: pulumi.all([args.gcJob.clusterArn, args.gcJob.taskFamilyArn]).apply(([cluster, family]) => JSON.stringify(gcFailurePattern(cluster, family))),
                  },
                  parent,
              )
            : undefined;

        this.topicArns = [];
        const published: pulumi.Resource[] = [];
        if (alerts.email.length > 0) {
            this.topic = this.createTopic(name, args);
            published.push(this.topicPolicy(name, args, this.topic, gcRule));
            this.topicArns.push(this.topic.arn);
        }
        if (alerts.target) {
            this.topicArns.push(pulumi.output(alerts.target));
        }
        // Senders wait for the topic policy that lets them publish.
        const sender = { parent: this, dependsOn: published };
        const actions = { alarmActions: this.topicArns, okActions: this.topicArns, actionsEnabled: true };

        const lb = { LoadBalancer: args.loadBalancerArnSuffix };
        const tg = { TargetGroup: args.targetGroupArnSuffix, LoadBalancer: args.loadBalancerArnSuffix };
        new cloudwatch.MetricAlarm(
            `${name}-unhealthy`,
            {
                name: `${namePrefix}-unhealthy`,
                alarmDescription: `MLflow ${namePrefix}: no healthy server task behind the load balancer for ${UNHEALTHY_MINUTES} minutes (the server is down or failing /health).`,
                namespace: "AWS/ApplicationELB",
                metricName: "HealthyHostCount",
                dimensions: tg,
                statistic: "Minimum",
                period: 60,
                evaluationPeriods: UNHEALTHY_MINUTES,
                datapointsToAlarm: UNHEALTHY_MINUTES,
                comparisonOperator: "LessThanThreshold",
                threshold: 1,
                // No data points means no target registered at all: down too.
                treatMissingData: "breaching",
                ...actions,
            },
            sender,
        );
        const count5xx = (metricName: string, dimensions: Record<string, pulumi.Output<string>>) => ({ namespace: "AWS/ApplicationELB", metricName, dimensions, period: 300, stat: "Sum" });
        new cloudwatch.MetricAlarm(
            `${name}-5xx`,
            {
                name: `${namePrefix}-5xx`,
                alarmDescription: `MLflow ${namePrefix}: more than ${alerts.errors5xx} 5xx answers (server and load balancer) in 5 minutes.`,
                metricQueries: [
                    { id: "server", metric: count5xx("HTTPCode_Target_5XX_Count", tg), returnData: false },
                    { id: "balancer", metric: count5xx("HTTPCode_ELB_5XX_Count", lb), returnData: false },
                    { id: "errors", expression: "FILL(server, 0) + FILL(balancer, 0)", label: "5xx answers", returnData: true },
                ],
                evaluationPeriods: 1,
                comparisonOperator: "GreaterThanThreshold",
                threshold: alerts.errors5xx,
                // No requests, no 5xx: quiet.
                treatMissingData: "notBreaching",
                ...actions,
            },
            sender,
        );

        const database = args.database;
        if (database) {
            const db = { DBInstanceIdentifier: database.identifier };
            new cloudwatch.MetricAlarm(
                `${name}-db-cpu`,
                {
                    name: `${namePrefix}-db-cpu`,
                    alarmDescription: `MLflow ${namePrefix}: database CPU above ${alerts.cpuPercent}% for ${CPU_PERIODS * 5} minutes.`,
                    namespace: "AWS/RDS",
                    metricName: "CPUUtilization",
                    dimensions: db,
                    statistic: "Average",
                    period: 300,
                    evaluationPeriods: CPU_PERIODS,
                    datapointsToAlarm: CPU_PERIODS,
                    comparisonOperator: "GreaterThanThreshold",
                    threshold: alerts.cpuPercent,
                    ...actions,
                },
                sender,
            );
            new cloudwatch.MetricAlarm(
                `${name}-db-storage`,
                {
                    name: `${namePrefix}-db-storage`,
                    alarmDescription: `MLflow ${namePrefix}: database storage more than ${alerts.storagePercent}% used (less than ${100 - alerts.storagePercent}% of ${database.allocatedStorageGb} GiB free; storage autoscaling grows the disk below 10% free, up to its ceiling).`,
                    namespace: "AWS/RDS",
                    metricName: "FreeStorageSpace",
                    dimensions: db,
                    statistic: "Minimum",
                    period: 300,
                    evaluationPeriods: 1,
                    comparisonOperator: "LessThanThreshold",
                    threshold: freeStorageThresholdBytes(database.allocatedStorageGb, alerts.storagePercent),
                    ...actions,
                },
                sender,
            );
            this.topicArns.forEach((topic, i) => {
                new rds.EventSubscription(
                    `${name}-db-events-${i}`,
                    { name: `${namePrefix}-db-events-${i}`, snsTopic: topic, sourceType: "db-instance", sourceIds: [database.identifier], eventCategories: DATABASE_EVENT_CATEGORIES, enabled: true },
                    sender,
                );
            });
        }

        if (gcRule) {
            this.topicArns.forEach((topic, i) => new cloudwatch.EventTarget(`${name}-gc-failed-${i}`, { rule: gcRule.name, arn: topic }, sender));
        }
        this.registerOutputs({ topicArns: this.topicArns });
    }

    /** The stack's own topic: encrypted with a key the publishing services may use, one e-mail subscription per address. */
    private createTopic(name: string, args: AwsAlertsArgs): sns.Topic {
        const parent = { parent: this };
        const key = new kms.Key(
            `${name}-key`,
            {
                description: `MLflow ${args.namePrefix} alerts topic`,
                enableKeyRotation: true,
                deletionWindowInDays: 7,
                policy: pulumi.all([args.partition, args.account]).apply(([partition, account]) => JSON.stringify(alertsKeyPolicy(partition, account))),
            },
            parent,
        );
        const topic = new sns.Topic(`${name}-topic`, { name: `${args.namePrefix}-alerts`, displayName: `MLflow ${args.namePrefix}`, kmsMasterKeyId: key.arn }, parent);
        for (const email of args.alerts.email) {
            new sns.TopicSubscription(`${name}-email-${email}`, { topic: topic.arn, protocol: "email", endpoint: email }, parent);
        }
        return topic;
    }

    /** Only the stack's alarms, its gc failure rule and its database may publish to the topic. */
    private topicPolicy(name: string, args: AwsAlertsArgs, topic: sns.Topic, gcRule?: cloudwatch.EventRule): sns.TopicPolicy {
        return new sns.TopicPolicy(
            `${name}-topic-policy`,
            {
                arn: topic.arn,
                policy: pulumi
                    .all([topic.arn, args.partition, args.account, gcRule?.arn, args.database?.arn])
                    .apply(([topicArn, partition, account, gcRuleArn, databaseArn]) =>
                        JSON.stringify(alertsTopicPolicy({ topicArn, partition, region: args.region, account, namePrefix: args.namePrefix, gcRuleArn, databaseArn })),
                    ),
            },
            { parent: this },
        );
    }
}
