import * as gcpCloudRunV2 from "@pulumi/gcp/cloudrunv2";
import * as gcpMonitoring from "@pulumi/gcp/monitoring";
import * as pulumi from "@pulumi/pulumi";
import { GcpSpec } from "../../config/gcp";
import { AlertsSpec } from "../../config/operations";
import { DeploymentSpec } from "../../config/spec";
import {
    backupFailedCondition,
    cloudSqlDatabaseId,
    Condition,
    cpuCondition,
    diskCondition,
    errors5xxCondition,
    gcFailedCondition,
    uptimeCondition,
} from "./alertRules";

export interface GcpAlertsArgs {
    spec: DeploymentSpec;
    alerts: AlertsSpec;
    /** The server's Cloud Run service. */
    serviceName: string;
    /** Host of the service's deterministic run.app URL, which the uptime check calls. */
    runAppHost: pulumi.Input<string>;
    healthPath: string;
    projectNumber: pulumi.Input<string>;
    /** The Cloud SQL instance, when the stack runs one. */
    sqlInstanceName?: pulumi.Input<string>;
    /** The gc job, when mlflow:gc is on. */
    gcJobName?: pulumi.Input<string>;
    logsUrl: string;
    dependsOn?: pulumi.Input<pulumi.Resource[]>;
}

/**
 * How Cloud Monitoring's uptime checkers, which call from the internet, can reach /health:
 * - `anonymous`: access public (MLflow's sign-in leaves /health open);
 * - `service-agent`: access iam, the check sends an OIDC token of Monitoring's service agent,
 *   which gets roles/run.invoker on the service;
 * - undefined: ingress internal (the checkers are turned away) or access iap (IAP admits its users only).
 */
export function uptimeCheckAuth(gcp: GcpSpec): "anonymous" | "service-agent" | undefined {
    if (gcp.ingress !== "all" || gcp.access === "iap") return undefined;
    return gcp.access === "iam" ? "service-agent" : "anonymous";
}

/** Monitoring's service agent, which signs the uptime checks' OIDC tokens. */
export function monitoringAgentMember(projectNumber: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.interpolate`serviceAccount:service-${projectNumber}@gcp-sa-monitoring-notification.iam.gserviceaccount.com`;
}

/**
 * mlflow:alerts on GCP: an e-mail notification channel per address (and the given channel), an
 * uptime check of /health where the internet can reach it, and alert policies for the server's 5xx
 * answers, /health failing, the database's CPU and disk, failed automated backups (a log-based
 * alert on Cloud SQL's audit log) and failed gc executions.
 */
export class GcpAlerts extends pulumi.ComponentResource {
    readonly channels: pulumi.Output<string>[];
    readonly policies: gcpMonitoring.AlertPolicy[] = [];
    readonly uptimeCheck?: gcpMonitoring.UptimeCheckConfig;

    constructor(name: string, args: GcpAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:GcpAlerts", name, {}, opts);
        const { spec, alerts } = args;
        const gcp = spec.gcp!;
        const { project, region } = gcp;
        const userLabels = { "mlflow-stack": spec.stack.toLowerCase().replace(/[^a-z0-9_-]/g, "-") };
        const after = { parent: this, dependsOn: args.dependsOn };

        this.channels = alerts.email.map(
            (address, i) =>
                new gcpMonitoring.NotificationChannel(
                    `${name}-email-${i}`,
                    { project, type: "email", displayName: `MLflow ${spec.namePrefix}: ${address}`, labels: { email_address: address }, userLabels },
                    after,
                ).name,
        );
        if (alerts.target) {
            this.channels.push(pulumi.output(alerts.target));
        }

        const policy = (key: string, title: string, condition: Condition, severity: string, alertStrategy?: gcpMonitoring.AlertPolicyArgs["alertStrategy"]) => {
            this.policies.push(
                new gcpMonitoring.AlertPolicy(
                    `${name}-${key}`,
                    {
                        project,
                        displayName: `MLflow ${spec.namePrefix}: ${title}`,
                        combiner: "OR",
                        conditions: [condition],
                        notificationChannels: this.channels,
                        severity,
                        alertStrategy,
                        documentation: { mimeType: "text/markdown", content: `${title} (stack ${spec.stack}, Cloud Run service ${args.serviceName}). Server logs: ${args.logsUrl}` },
                        userLabels,
                    },
                    after,
                ),
            );
        };

        policy("5xx", `more than ${alerts.errors5xx} 5xx answers in 5 minutes`, errors5xxCondition(args.serviceName, region, alerts), "ERROR");

        const auth = uptimeCheckAuth(gcp);
        if (auth) {
            this.uptimeCheck = new gcpMonitoring.UptimeCheckConfig(
                `${name}-uptime`,
                {
                    project,
                    displayName: `MLflow ${spec.namePrefix} ${args.healthPath}`,
                    period: "60s",
                    // A scaled-to-zero service answers after its start (about 10-12 s).
                    timeout: "30s",
                    monitoredResource: { type: "uptime_url", labels: { project_id: project, host: args.runAppHost } },
                    httpCheck: {
                        path: args.healthPath,
                        port: 443,
                        useSsl: true,
                        validateSsl: true,
                        requestMethod: "GET",
                        acceptedResponseStatusCodes: [{ statusClass: "STATUS_CLASS_2XX" }],
                        ...(auth === "service-agent" ? { serviceAgentAuthentication: { type: "OIDC_TOKEN" } } : {}),
                    },
                    userLabels,
                },
                after,
            );
            if (auth === "service-agent") {
                // The agent exists once the check does; the service may then admit its tokens.
                new gcpCloudRunV2.ServiceIamMember(
                    `${name}-uptime-invoker`,
                    { project, location: region, name: args.serviceName, role: "roles/run.invoker", member: monitoringAgentMember(args.projectNumber) },
                    { parent: this, dependsOn: [this.uptimeCheck] },
                );
            }
            policy("health", `${args.healthPath} failing`, uptimeCondition(this.uptimeCheck.uptimeCheckId), "CRITICAL");
        }

        if (args.sqlInstanceName !== undefined) {
            const databaseId = cloudSqlDatabaseId(project, args.sqlInstanceName);
            policy("sql-cpu", `Cloud SQL CPU above ${alerts.cpuPercent}%`, cpuCondition(databaseId, alerts), "WARNING");
            policy("sql-disk", `Cloud SQL disk above ${alerts.storagePercent}%`, diskCondition(databaseId, alerts), "ERROR");
            if (spec.backend.type === "cloudsql" && spec.backend.backups) {
                // Log-based conditions must say how often they may notify.
                policy("sql-backup", "automated Cloud SQL backup failed", backupFailedCondition(project, databaseId), "ERROR", {
                    notificationRateLimit: { period: "3600s" },
                    autoClose: "86400s",
                });
            }
        }

        if (args.gcJobName !== undefined) {
            policy("gc-failed", "gc execution failed", gcFailedCondition(args.gcJobName, region), "WARNING");
        }
        this.registerOutputs({ channels: this.channels });
    }
}
