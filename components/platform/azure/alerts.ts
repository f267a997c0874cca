import * as monitor from "@pulumi/azure-native/monitor";
import * as pulumi from "@pulumi/pulumi";
import { AlertsSpec } from "../../config/operations";
import { resourceName } from "../../naming";

/** One metric alert rule: a static threshold on one metric of one resource. */
export interface MetricRule {
    /** Rule and criterion name, after the stack's prefix (e.g. `server-5xx`). */
    what: string;
    description: string;
    metricNamespace: string;
    metricName: string;
    timeAggregation: "Average" | "Maximum" | "Minimum" | "Total";
    operator: "GreaterThan" | "LessThan";
    threshold: number;
    /** ISO 8601: how far back each evaluation looks, and how often it runs. */
    windowSize: string;
    evaluationFrequency: string;
    /** 0 critical ... 4 verbose. */
    severity: number;
    dimensions?: { name: string; operator: "Include"; values: string[] }[];
}

const APP = "Microsoft.App/containerApps";
const JOB = "Microsoft.App/jobs";
const POSTGRES = "Microsoft.DBforPostgreSQL/flexibleServers";

/**
 * What the team hears about, from the metrics Azure Monitor documents for each resource type
 * (learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/): the server answering
 * 5xx, restarting or (when it should always run) without a replica; the database down, busy or
 * filling up; the gc job failing. Pure.
 */
export function serverRules(alerts: AlertsSpec, minReplicas: number): MetricRule[] {
    const rules: MetricRule[] = [
        {
            what: "server-5xx",
            description: `The MLflow server answered more than ${alerts.errors5xx} requests with 5xx in 5 minutes.`,
            metricNamespace: APP,
            metricName: "Requests",
            timeAggregation: "Total",
            operator: "GreaterThan",
            threshold: alerts.errors5xx,
            windowSize: "PT5M",
            evaluationFrequency: "PT1M",
            severity: 2,
            dimensions: [{ name: "statusCodeCategory", operator: "Include", values: ["5xx"] }],
        },
        {
            what: "server-restarts",
            description: "A replica of the MLflow server restarted more than 3 times within 15 minutes (crashes or failed liveness probes).",
            metricNamespace: APP,
            metricName: "RestartCount",
            timeAggregation: "Maximum",
            operator: "GreaterThan",
            threshold: 3,
            windowSize: "PT15M",
            evaluationFrequency: "PT5M",
            severity: 2,
        },
    ];
    // With scale to zero, no replica is the idle state, not an outage.
    if (minReplicas >= 1) {
        rules.push({
            what: "server-down",
            description: "The MLflow server had no running replica for 5 minutes.",
            metricNamespace: APP,
            metricName: "Replicas",
            timeAggregation: "Maximum",
            operator: "LessThan",
            threshold: 1,
            windowSize: "PT5M",
            evaluationFrequency: "PT1M",
            severity: 1,
        });
    }
    return rules;
}

export function databaseRules(alerts: AlertsSpec): MetricRule[] {
    const pg = { metricNamespace: POSTGRES, operator: "GreaterThan" as const, evaluationFrequency: "PT5M" };
    return [
        { ...pg, what: "db-cpu", description: `The database's CPU averaged above ${alerts.cpuPercent}% for 15 minutes.`, metricName: "cpu_percent", timeAggregation: "Average", threshold: alerts.cpuPercent, windowSize: "PT15M", severity: 2 },
        { ...pg, what: "db-storage", description: `The database's storage is more than ${alerts.storagePercent}% used.`, metricName: "storage_percent", timeAggregation: "Maximum", threshold: alerts.storagePercent, windowSize: "PT15M", severity: 1 },
        {
            ...pg,
            what: "db-down",
            description: "The database did not answer its liveness check for 5 minutes.",
            metricName: "is_db_alive",
            timeAggregation: "Maximum",
            operator: "LessThan",
            threshold: 1,
            windowSize: "PT5M",
            evaluationFrequency: "PT1M",
            severity: 1,
        },
    ];
}

export function gcJobRules(): MetricRule[] {
    return [
        {
            what: "gc-failed",
            description: "A run of the scheduled MLflow garbage collection (mlflow gc) failed or timed out: see the job's execution history and logs.",
            metricNamespace: JOB,
            metricName: "Executions",
            timeAggregation: "Total",
            operator: "GreaterThan",
            threshold: 0,
            windowSize: "PT1H",
            evaluationFrequency: "PT15M",
            severity: 3,
            dimensions: [{ name: "state", operator: "Include", values: ["Failed"] }],
        },
    ];
}

export interface AzureAlertsArgs {
    namePrefix: string;
    alerts: AlertsSpec;
    resourceGroupName: pulumi.Input<string>;
    /** The action group's name (azureNames(...).actionGroup). */
    actionGroupName: string;
    minReplicas: number;
    appId: pulumi.Input<string>;
    /** The Flexible Server; absent with an external PostgreSQL (nothing of it to watch here). */
    databaseId?: pulumi.Input<string>;
    /** The gc job; absent with mlflow:gc false. */
    gcJobId?: pulumi.Input<string>;
}

/**
 * mlflow:alerts on Azure: an action group e-mailing alerts.email (common alert schema) and/or the
 * existing action group alerts.target, and one metric alert per rule, each sending to both.
 */
export class AzureAlerts extends pulumi.ComponentResource {
    readonly actionGroup?: monitor.ActionGroup;
    readonly rules: monitor.MetricAlert[];

    constructor(name: string, args: AzureAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:AzureAlerts", name, {}, opts);
        const { alerts } = args;

        if (alerts.email.length > 0) {
            this.actionGroup = new monitor.ActionGroup(
                `${name}-email`,
                {
                    actionGroupName: args.actionGroupName,
                    resourceGroupName: args.resourceGroupName,
                    // Action groups are global resources.
                    location: "Global",
                    enabled: true,
                    // At most 12 characters: it prefixes SMS and shows in the e-mails.
                    groupShortName: args.namePrefix.replace(/[^A-Za-z0-9-]/g, "").slice(0, 12),
                    emailReceivers: alerts.email.map((address, i) => ({ name: `email-${i + 1}`, emailAddress: address, useCommonAlertSchema: true })),
                },
                { parent: this },
            );
        }
        const actions = [
            ...(this.actionGroup ? [{ actionGroupId: this.actionGroup.id }] : []),
            ...(alerts.target ? [{ actionGroupId: alerts.target }] : []),
        ];

        const watched: Array<[pulumi.Input<string>, MetricRule[]]> = [[args.appId, serverRules(alerts, args.minReplicas)]];
        if (args.databaseId !== undefined) watched.push([args.databaseId, databaseRules(alerts)]);
        if (args.gcJobId !== undefined) watched.push([args.gcJobId, gcJobRules()]);

        this.rules = watched.flatMap(([scope, rules]) =>
            rules.map(
                (rule) =>
                    new monitor.MetricAlert(
                        `${name}-${rule.what}`,
                        {
                            ruleName: resourceName(args.namePrefix, rule.what),
                            resourceGroupName: args.resourceGroupName,
                            // Metric alert rules are global resources too.
                            location: "global",
                            description: rule.description,
                            enabled: true,
                            severity: rule.severity,
                            scopes: [scope],
                            windowSize: rule.windowSize,
                            evaluationFrequency: rule.evaluationFrequency,
                            // Resolved (and said so) once the condition clears.
                            autoMitigate: true,
                            criteria: {
                                odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                                allOf: [
                                    {
                                        criterionType: "StaticThresholdCriterion",
                                        name: rule.what,
                                        metricNamespace: rule.metricNamespace,
                                        metricName: rule.metricName,
                                        timeAggregation: rule.timeAggregation,
                                        operator: rule.operator,
                                        threshold: rule.threshold,
                                        ...(rule.dimensions ? { dimensions: rule.dimensions } : {}),
                                    },
                                ],
                            },
                            actions,
                        },
                        { parent: this },
                    ),
            ),
        );
        this.registerOutputs({ actionGroupId: this.actionGroup?.id, rules: this.rules.map((r) => r.name) });
    }
}
