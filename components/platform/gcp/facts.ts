// Pure facts of the GCP platform: names, the APIs it needs, the host names and origins Cloud Run
// serves, and where the logs are. No resources, so the tests need no mocks for these.

import { CONTAINER_PORT, PlatformFacts } from "../../contract";
import { DeploymentSpec } from "../../config/spec";
import { GcpSpec } from "../../config/gcp";
import { gcpName, gcpServiceAccountId } from "../../naming";

/** The APIs the program enables in the project (never disabled on destroy: other workloads may use them). */
export function requiredApis(spec: DeploymentSpec): string[] {
    const apis = [
        "run.googleapis.com",
        "artifactregistry.googleapis.com",
        "secretmanager.googleapis.com",
        "iam.googleapis.com",
        // signBlob: signed URLs for proxied multipart uploads without a key (see signing.ts).
        "iamcredentials.googleapis.com",
        "storage.googleapis.com",
    ];
    if (spec.backend.type === "cloudsql") {
        apis.push("sqladmin.googleapis.com", "compute.googleapis.com", "servicenetworking.googleapis.com");
    }
    if (spec.gcp?.access === "iap") {
        apis.push("iap.googleapis.com");
    }
    return apis;
}

export interface GcpNames {
    service: string;
    serviceAccountId: string;
    repository: string;
    network: string;
    subnetwork: string;
    servicesRange: string;
    /** Cloud SQL instance name before its random suffix (names are not reusable for a week). */
    sqlInstanceBase: string;
}

export function gcpNames(namePrefix: string): GcpNames {
    return {
        service: gcpName(namePrefix, "server"),
        serviceAccountId: gcpServiceAccountId(namePrefix, "server"),
        repository: gcpName(namePrefix, "images", 63),
        network: gcpName(namePrefix, "vpc", 63),
        subnetwork: gcpName(namePrefix, "run-egress", 63),
        servicesRange: gcpName(namePrefix, "google-services", 63),
        sqlInstanceBase: gcpName(namePrefix, "pg", 40),
    };
}

/** Secret Manager secret id of one secret environment variable: `<prefix>-<name>`, [a-z0-9-]. */
export function secretId(namePrefix: string, envName: string): string {
    return gcpName(namePrefix, envName.toLowerCase().replace(/_/g, "-"), 255);
}

/**
 * The host names of the service's run.app URLs, as patterns (MLflow matches `--allowed-hosts` and
 * `--cors-allowed-origins` entries containing `*` with fnmatch: mlflow/server/security_utils.py).
 * Cloud Run gives a service two URLs, neither known before it exists:
 * `https://<service>-<project number>.<region>.run.app` and `https://<service>-<hash>-<region code>.a.run.app`.
 * Patterns keep the service's own arguments free of its own URL (no dependency cycle). They only
 * match hosts that start with the service's name; Google's front end routes a run.app host to the
 * one service that owns it, so no other service's traffic can reach this one.
 */
export function runAppHostPatterns(serviceName: string, region: string): string[] {
    return [`${serviceName}-*.${region}.run.app`, `${serviceName}-*.a.run.app`];
}

export function gcpPlatformFacts(spec: DeploymentSpec, gcp: GcpSpec): PlatformFacts {
    const service = gcpNames(spec.namePrefix).service;
    const hosts = runAppHostPatterns(service, gcp.region);
    if (gcp.customDomain) {
        hosts.push(gcp.customDomain);
    }
    return {
        listenPort: CONTAINER_PORT,
        servedHosts: hosts,
        servedOrigins: hosts.map((h) => `https://${h}`),
    };
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
