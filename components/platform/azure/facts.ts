// What the Azure platform knows before any resource exists: names, the host names and origins
// it serves, probes, scaling and the built-in roles it grants. Pure: no resources.

import { AzureSpec } from "../../config/azure";
import { DeploymentSpec } from "../../config/spec";
import { concat, Value } from "../../stores/types";
import { CONTAINER_PORT, HEALTH_PATH, PlatformFacts } from "../../contract";
import { containerAppName, distinctName, resourceName } from "../../naming";

/** DNS suffix of every Container Apps environment's default domain (`<unique>.<region>.azurecontainerapps.io`). */
export const CONTAINER_APPS_DNS_SUFFIX = "azurecontainerapps.io";

/** The workload profile the app runs on: serverless, billed per second of vCPU and memory. */
export const CONSUMPTION_PROFILE = "Consumption";

/** Name of the container inside the app. */
export const SERVER_CONTAINER_NAME = "mlflow";

/** Built-in Azure role definitions (the GUIDs are the same in every tenant). */
export const AZURE_ROLES = {
    /** Read, write and delete blobs (data plane). */
    storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    /** Read secret contents (data plane), for Key Vault references. */
    keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
    /** Pull images from a container registry. */
    acrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
} as const;

export function roleDefinitionId(subscriptionId: string, roleGuid: string): string {
    return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`;
}

/** The resource names of one stack on Azure (globally unique ones get a random suffix elsewhere). */
export function azureNames(namePrefix: string) {
    return {
        resourceGroup: resourceName(namePrefix, "rg"),
        vnet: resourceName(namePrefix, "vnet"),
        appsSubnet: "container-apps",
        databaseSubnet: "postgres",
        logs: resourceName(namePrefix, "logs"),
        environment: resourceName(namePrefix, "env"),
        identity: resourceName(namePrefix, "server-identity"),
        app: containerAppName(namePrefix, "server"),
        /** mlflow:jobRunner "dedicated": the job runner's app, never the server's name. */
        jobRunnerApp: distinctName(containerAppName, namePrefix, "jobs", containerAppName(namePrefix, "server")),
        /** mlflow:gc: the scheduled Container Apps job (jobs follow the container apps' naming rules). */
        gcJob: distinctName(containerAppName, namePrefix, "gc", containerAppName(namePrefix, "server")),
        /** mlflow:alerts: the action group that e-mails alerts.email. */
        actionGroup: resourceName(namePrefix, "alerts"),
        /** Repository of the built image in the registry (the contract's tag starts with it). */
        repository: resourceName(namePrefix, "server"),
    };
}

/**
 * The gc job's size: `mlflow gc` is one CLI process (no gunicorn workers, no job-runner
 * consumers), below the 408 MiB the whole server measured with one worker and the job runner
 * off; 0.5 vCPU with its 1 GiB (Consumption gives 2 GiB per core) leaves it twice that.
 */
export const GC_JOB_RESOURCES = { cpu: 0.5, memory: "1Gi" } as const;

/**
 * The schedule as a Container Apps job takes it: five fields in UTC, like mlflow:gc.schedule, but
 * with Sunday only as 0 (mlflow:gc also allows 7, which a 0-6 day-of-week field refuses).
 */
export function containerAppsCron(cron: string): string {
    const fields = cron.trim().split(/\s+/);
    fields[4] = fields[4]
        .split(",")
        .map((part) => {
            if (part === "7") return "0";
            const range = /^(\d+)-7$/.exec(part);
            if (!range) return part;
            return range[1] === "7" ? "0" : `${range[1]}-6,0`;
        })
        .join(",");
    return fields.join(" ");
}

/** A gc run longer than this is stopped and counts as failed (the alert sees it); one retry after a failure. */
export const GC_JOB_LIMITS = { replicaTimeout: 3600, replicaRetryLimit: 1 } as const;

/**
 * The app's default FQDN, `<app>.<environment default domain>`. The environment exists before
 * the app and its contract, so the server names its own host and origin exactly: no wildcard
 * (Flask-CORS would read an origin containing `*` as a regular expression) and no cycle.
 */
export function appHost(appName: string, environmentDefaultDomain: Value): Value {
    return concat(appName, ".", environmentDefaultDomain);
}

/** Host names and origins the Azure platform serves. */
export function azurePlatformFacts(spec: DeploymentSpec, azure: AzureSpec, environmentDefaultDomain: Value): PlatformFacts {
    const host = appHost(azureNames(spec.namePrefix).app, environmentDefaultDomain);
    const hosts: Value[] = [host];
    const origins: Value[] = [concat("https://", host)];
    if (azure.customDomain) {
        hosts.push(azure.customDomain);
        origins.push(`https://${azure.customDomain}`);
    }
    // Users open the custom domain when there is one.
    return { listenPort: CONTAINER_PORT, servedHosts: hosts, servedOrigins: origins, publicOrigin: origins[origins.length - 1], https: true };
}

/** Key Vault and Container Apps secret name for an environment variable: MLFLOW_BACKEND_STORE_URI -> mlflow-backend-store-uri. */
export function secretNameForEnv(envName: string): string {
    const s = envName.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    if (!/^[a-z][a-z0-9-]{0,126}$/.test(s)) {
        throw new Error(`cannot derive a secret name from ${JSON.stringify(envName)}`);
    }
    return s;
}

export interface ProbeSpec {
    type: "Startup" | "Readiness" | "Liveness";
    httpGet: { path: string; port: number; scheme: "HTTP" };
    initialDelaySeconds: number;
    periodSeconds: number;
    timeoutSeconds: number;
    failureThreshold: number;
    successThreshold?: number;
}

/**
 * Probes on /health (exempt from MLflow's Host check). Container Apps caps failureThreshold at 10
 * and initialDelaySeconds at 60: the startup probe allows 60 + 10 x 30 s for a first start that
 * creates or upgrades the schema before liveness takes over.
 */
export function azureProbes(port: number, path: string = HEALTH_PATH): ProbeSpec[] {
    const httpGet = { path, port, scheme: "HTTP" as const };
    return [
        { type: "Startup", httpGet, initialDelaySeconds: 10, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 10 },
        { type: "Readiness", httpGet, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1 },
        { type: "Liveness", httpGet, initialDelaySeconds: 5, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
    ];
}

/** Replica bounds and the HTTP scale rule; a SQLite-like single-replica backend never reaches here. */
export function azureScale(azure: AzureSpec) {
    return {
        minReplicas: azure.minReplicas,
        maxReplicas: azure.maxReplicas,
        rules: [{ name: "http-concurrency", http: { metadata: { concurrentRequests: String(azure.concurrentRequests) } } }],
    };
}
