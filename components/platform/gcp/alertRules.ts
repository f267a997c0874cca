// The Cloud Monitoring conditions of mlflow:alerts on GCP: metric filters, aggregations and
// thresholds, as pure data (alerts.ts turns them into alert policies).

import type * as gcpInputs from "@pulumi/gcp/types/input";
import * as pulumi from "@pulumi/pulumi";
import { AlertsSpec } from "../../config/operations";

export type Condition = gcpInputs.monitoring.AlertPolicyCondition;

/** Five-minute windows: what the thresholds of mlflow:alerts count over. */
export const WINDOW = "300s";
/** How long the database's CPU must stay above mlflow:alerts.cpuPercent. */
export const CPU_DURATION = "900s";

/** Cloud Monitoring's filter language: every term must hold. */
function filter(terms: Record<string, pulumi.Input<string>>): pulumi.Output<string> {
    return pulumi.all(Object.entries(terms).map(([k, v]) => pulumi.output(v).apply((value) => `${k}="${value}"`))).apply((parts) => parts.join(" AND "));
}

/** More 5xx answers from the server than mlflow:alerts.errors5xx within five minutes. */
export function errors5xxCondition(service: string, region: string, alerts: AlertsSpec): Condition {
    return {
        displayName: `more than ${alerts.errors5xx} 5xx answers in 5 minutes`,
        conditionThreshold: {
            filter: filter({
                "metric.type": "run.googleapis.com/request_count",
                "resource.type": "cloud_run_revision",
                "resource.label.service_name": service,
                "resource.label.location": region,
                "metric.label.response_code_class": "5xx",
            }),
            aggregations: [{ alignmentPeriod: WINDOW, perSeriesAligner: "ALIGN_SUM", crossSeriesReducer: "REDUCE_SUM", groupByFields: ["resource.label.service_name"] }],
            comparison: "COMPARISON_GT",
            thresholdValue: alerts.errors5xx,
            duration: "0s",
            trigger: { count: 1 },
            // No 5xx at all means no time series: the incident closes instead of waiting.
            evaluationMissingData: "EVALUATION_MISSING_DATA_INACTIVE",
        },
    };
}

/** The uptime check of /health failing from more than one of Monitoring's checker regions. */
export function uptimeCondition(checkId: pulumi.Input<string>): Condition {
    return {
        displayName: "/health fails from more than one region",
        conditionThreshold: {
            filter: filter({ "metric.type": "monitoring.googleapis.com/uptime_check/check_passed", "resource.type": "uptime_url", "metric.label.check_id": checkId }),
            aggregations: [{ alignmentPeriod: WINDOW, perSeriesAligner: "ALIGN_NEXT_OLDER", crossSeriesReducer: "REDUCE_COUNT_FALSE", groupByFields: ["resource.label.host"] }],
            comparison: "COMPARISON_GT",
            thresholdValue: 1,
            duration: WINDOW,
            trigger: { count: 1 },
        },
    };
}

/** `database_id` of Cloud SQL's monitored resource: `<project>:<instance>`. */
export function cloudSqlDatabaseId(project: string, instance: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.interpolate`${project}:${instance}`;
}

/** The database's CPU above mlflow:alerts.cpuPercent for 15 minutes. */
export function cpuCondition(databaseId: pulumi.Input<string>, alerts: AlertsSpec): Condition {
    return cloudSqlAbove(databaseId, "cpu/utilization", `Cloud SQL CPU above ${alerts.cpuPercent}% for 15 minutes`, alerts.cpuPercent, CPU_DURATION);
}

/** The database's disk more than mlflow:alerts.storagePercent full (autoresize grows it, this says it happened or stalls). */
export function diskCondition(databaseId: pulumi.Input<string>, alerts: AlertsSpec): Condition {
    return cloudSqlAbove(databaseId, "disk/utilization", `Cloud SQL disk more than ${alerts.storagePercent}% full`, alerts.storagePercent, WINDOW);
}

/** A Cloud SQL utilization metric (a 0-1 fraction) above `percent` for `duration`. */
function cloudSqlAbove(databaseId: pulumi.Input<string>, metric: string, displayName: string, percent: number, duration: string): Condition {
    return {
        displayName,
        conditionThreshold: {
            filter: filter({ "metric.type": `cloudsql.googleapis.com/database/${metric}`, "resource.type": "cloudsql_database", "resource.label.database_id": databaseId }),
            aggregations: [{ alignmentPeriod: WINDOW, perSeriesAligner: "ALIGN_MEAN" }],
            comparison: "COMPARISON_GT",
            thresholdValue: percent / 100,
            duration,
            trigger: { count: 1 },
        },
    };
}

/** Any failed execution of the gc job (after its retries). */
export function gcFailedCondition(job: pulumi.Input<string>, region: string): Condition {
    return {
        displayName: "a gc execution failed",
        conditionThreshold: {
            filter: filter({
                "metric.type": "run.googleapis.com/job/completed_execution_count",
                "resource.type": "cloud_run_job",
                "resource.label.job_name": job,
                "resource.label.location": region,
                "metric.label.result": "failed",
            }),
            aggregations: [{ alignmentPeriod: WINDOW, perSeriesAligner: "ALIGN_SUM", crossSeriesReducer: "REDUCE_SUM", groupByFields: ["resource.label.job_name"] }],
            comparison: "COMPARISON_GT",
            thresholdValue: 0,
            duration: "0s",
            trigger: { count: 1 },
            evaluationMissingData: "EVALUATION_MISSING_DATA_INACTIVE",
        },
    };
}

/**
 * Cloud SQL writes a System Event audit log entry for each automated backup, its outcome in
 * `windowStatus` (https://cloud.google.com/sql/docs/postgres/backup-recovery/view-audit-logs-for-automated-backups):
 * a log-based condition on the entries of this instance that report a failure.
 */
export function backupFailedLogFilter(project: string, databaseId: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.interpolate`logName="projects/${project}/logs/cloudaudit.googleapis.com%2Fsystem_event" AND protoPayload.methodName="cloudsql.instances.automatedBackup" AND resource.type="cloudsql_database" AND resource.labels.database_id="${databaseId}" AND (severity>=ERROR OR protoPayload.metadata.windowStatus:"FAIL")`;
}

export function backupFailedCondition(project: string, databaseId: pulumi.Input<string>): Condition {
    return { displayName: "an automated Cloud SQL backup failed", conditionMatchedLog: { filter: backupFailedLogFilter(project, databaseId) } };
}
