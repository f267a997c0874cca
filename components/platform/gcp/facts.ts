// Pure facts of the GCP platform: names, the APIs it needs, the host names and origins Cloud Run
// serves, and where the logs are. No resources, so the tests need no mocks for these.

import { CONTAINER_PORT, PlatformFacts } from "../../contract";
import { DeploymentSpec } from "../../config/spec";
import { GcpSpec } from "../../config/gcp";
import { distinctName, gcpName, gcpServiceAccountId } from "../../naming";
import { combine, concat, Value } from "../../stores/types";

/** The APIs the program enables in the project (never disabled on destroy: other workloads may use them). */
export function requiredApis(spec: DeploymentSpec): string[] {
    const apis = [
        "run.googleapis.com",
        "artifactregistry.googleapis.com",
        "secretmanager.googleapis.com",
        "iam.googleapis.com",
        // signBlob: signed URLs for proxied multipart uploads without a key (components/image/gcp_keyless_signing).
        "iamcredentials.googleapis.com",
        "storage.googleapis.com",
    ];
    if (spec.backend.type === "cloudsql") {
        apis.push("sqladmin.googleapis.com", "compute.googleapis.com", "servicenetworking.googleapis.com");
    }
    if (spec.gcp?.access === "iap") {
        apis.push("iap.googleapis.com");
    }
    if (spec.ops.gc) {
        // Cloud Scheduler starts the gc job (gcJob.ts).
        apis.push("cloudscheduler.googleapis.com");
    }
    if (spec.ops.alerts) {
        // Alert policies, uptime checks and notification channels; the log-based backup alert reads Cloud Logging.
        apis.push("monitoring.googleapis.com", "logging.googleapis.com");
    }
    return apis;
}

export interface GcpNames {
    service: string;
    /** mlflow:jobRunner "dedicated": the job runner's Cloud Run service. */
    jobRunnerService: string;
    serviceAccountId: string;
    repository: string;
    network: string;
    subnetwork: string;
    servicesRange: string;
    /** Cloud SQL instance name before its random suffix (names are not reusable for a week). */
    sqlInstanceBase: string;
    /** The Cloud Run job that runs `mlflow gc`, and the Cloud Scheduler job that starts it. */
    gcJob: string;
    /** The service account Cloud Scheduler calls the gc job's `:run` as (run.invoker on that job only). */
    gcInvokerAccountId: string;
}

export function gcpNames(namePrefix: string): GcpNames {
    const serviceAccountId = gcpServiceAccountId(namePrefix, "server");
    return {
        service: gcpName(namePrefix, "server"),
        jobRunnerService: distinctName((p, what) => gcpName(p, what), namePrefix, "jobs", gcpName(namePrefix, "server")),
        serviceAccountId,
        repository: gcpName(namePrefix, "images", 63),
        network: gcpName(namePrefix, "vpc", 63),
        subnetwork: gcpName(namePrefix, "run-egress", 63),
        servicesRange: gcpName(namePrefix, "google-services", 63),
        sqlInstanceBase: gcpName(namePrefix, "pg", 40),
        gcJob: distinctName((p, what) => gcpName(p, what), namePrefix, "gc", gcpName(namePrefix, "server")),
        gcInvokerAccountId: distinctName((p, what) => gcpServiceAccountId(p, what), namePrefix, "gc-invoker", serviceAccountId),
    };
}

/** Secret Manager secret id of one secret environment variable: `<prefix>-<name>`, [a-z0-9-]. */
export function secretId(namePrefix: string, envName: string): string {
    return gcpName(namePrefix, envName.toLowerCase().replace(/_/g, "-"), 255);
}

/**
 * The service's deterministic URL, `https://<service>-<project number>.<region>.run.app`: known
 * from the project before the service exists, so the server's own arguments can name it exactly
 * without a dependency cycle.
 */
export function runAppHost(serviceName: string, projectNumber: string, region: string): string {
    return `${serviceName}-${projectNumber}.${region}.run.app`;
}

/**
 * Cloud Run's other (legacy) URL of the service, `<service>-<hash>-<region code>.a.run.app`, as a
 * Host pattern (MLflow matches entries containing `*` with fnmatch). Hosts only: origins stay
 * exact, because Flask-CORS reads an origin containing `*` as a regular expression anchored at
 * the start only, which would admit look-alike sites.
 */
export function legacyRunAppHostPattern(serviceName: string): string {
    return `${serviceName}-*.a.run.app`;
}

export function gcpPlatformFacts(spec: DeploymentSpec, gcp: GcpSpec, projectNumber: Value): PlatformFacts {
    const service = gcpNames(spec.namePrefix).service;
    const host = combine([projectNumber], ([n]) => runAppHost(service, n, gcp.region));
    const hosts: Value[] = [host, legacyRunAppHostPattern(service)];
    const origins: Value[] = [concat("https://", host)];
    if (gcp.customDomain) {
        hosts.push(gcp.customDomain);
        origins.push(`https://${gcp.customDomain}`);
    }
    // Users open the custom domain when there is one.
    return { listenPort: CONTAINER_PORT, servedHosts: hosts, servedOrigins: origins, publicOrigin: origins[origins.length - 1], https: true };
}

/** The Cloud Logging query of the server's logs, as a console URL. */
export function logsUrl(project: string, region: string, service: string): string {
    const query = `resource.type="cloud_run_revision"\nresource.labels.service_name="${service}"\nresource.labels.location="${region}"`;
    return `https://console.cloud.google.com/logs/query;query=${encodeURIComponent(query)}?project=${project}`;
}

/** Cloud Run resource limits: whole vCPUs and MiB. */
export function cloudRunLimits(gcp: GcpSpec): { cpu: string; memory: string } {
    return { cpu: String(gcp.cpu), memory: `${gcp.memoryMiB}Mi` };
}

/**
 * Python's fnmatch as MLflow uses it for hosts and origins (`*`, `?`, `[...]`; case-sensitive on
 * Linux), to check the platform's patterns in the unit tests.
 */
export function fnmatch(name: string, pattern: string): boolean {
    let re = "";
    for (let i = 0; i < pattern.length; i++) {
        const ch = pattern[i];
        if (ch === "*") {
            re += ".*";
        } else if (ch === "?") {
            re += ".";
        } else if (ch === "[") {
            const end = pattern.indexOf("]", i + 2);
            if (end < 0) {
                re += "\\[";
            } else {
                let body = pattern.slice(i + 1, end);
                if (body.startsWith("!")) body = `^${body.slice(1)}`;
                re += `[${body.replace(/\\/g, "\\\\")}]`;
                i = end;
            }
        } else {
            re += ch.replace(/[.+^${}()|\\/]/g, "\\$&");
        }
    }
    return new RegExp(`^${re}$`, "s").test(name);
}
