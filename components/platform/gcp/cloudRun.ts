import * as gcpCloudRun from "@pulumi/gcp/cloudrun";
import { signInRequired } from "../../config/access";
import * as gcpCloudRunV2 from "@pulumi/gcp/cloudrunv2";
import * as gcpIap from "@pulumi/gcp/iap";
import * as gcpProjects from "@pulumi/gcp/projects";
import * as pulumi from "@pulumi/pulumi";
import { INGRESS } from "../../config/gcp";
import { DeploymentSpec } from "../../config/spec";
import { ServerContract } from "../../contract";
import { cloudRunLimits } from "./facts";
import { SecretRef } from "./secrets";
import { keylessSigningEnv } from "./signing";

export interface GcpCloudRunArgs {
    spec: DeploymentSpec;
    contract: ServerContract;
    serviceName: string;
    imageRef: pulumi.Input<string>;
    serviceAccountEmail: pulumi.Input<string>;
    /** Every secret env var of the contract, as a Secret Manager reference. */
    secretRefs: Record<string, SecretRef>;
    /** Direct VPC egress into this network/subnetwork (to reach Cloud SQL's private IP). */
    vpc?: { network: pulumi.Input<string>; subnetwork: pulumi.Input<string> };
    dependsOn?: pulumi.Input<pulumi.Resource[]>;
    /**
     * mlflow:jobRunner "dedicated": this service is the job runner, with this much memory (MiB):
     * one instance that is never scaled away, its CPU always allocated, reachable by nobody.
     */
    jobRunnerMemoryMiB?: number;
}

/** One container environment variable: a plain value, or a Secret Manager reference. */
interface CloudRunEnv {
    name: string;
    value?: pulumi.Input<string>;
    valueSource?: { secretKeyRef: { secret: pulumi.Input<string>; version: pulumi.Input<string> } };
}

/** Startup: MLflow boots (and may migrate its schema) before it answers; up to 5 minutes. */
export const STARTUP_PROBE = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 30 };
export const LIVENESS_PROBE = { periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 };

/**
 * The server on Cloud Run v2: the contract's image, arguments, plain environment and secret
 * environment (Secret Manager references only), its own service account, probes on the health
 * path, scaling, request timeout and ingress from the config; and who may call it: everyone
 * (MLflow basic auth on), IAM-authenticated invokers, or IAP on the service.
 */
export class GcpCloudRunService extends pulumi.ComponentResource {
    readonly service: gcpCloudRunV2.Service;
    readonly uri: pulumi.Output<string>;
    readonly url: pulumi.Output<string>;

    constructor(name: string, args: GcpCloudRunArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:GcpCloudRun", name, {}, opts);
        const { spec, contract } = args;
        const gcp = spec.gcp!;
        if (gcp.access === "public" && !signInRequired(spec.auth)) {
            // parseConfig refuses this first; this guards programmatic use of the component.
            throw new Error("a public Cloud Run service needs sign-in (mlflow:auth true or mlflow:sso), or access iam / iap");
        }
        for (const key of Object.keys(contract.secretEnv)) {
            if (!args.secretRefs[key]) {
                throw new Error(`secret environment variable ${key} has no Secret Manager reference`);
            }
        }

        // A PYTHONPATH of mlflow:extraEnv goes after the keyless-signing hook's directory.
        const { PYTHONPATH: userPythonPath, ...plainEnv } = contract.env;
        const envs: CloudRunEnv[] = [
            ...Object.entries(plainEnv).map(([k, v]) => ({ name: k, value: v })),
            // Keyless signed URLs for multipart uploads: the image's sitecustomize hook (signing.ts).
            keylessSigningEnv(userPythonPath),
            ...Object.keys(contract.secretEnv).map((k) => ({ name: k, valueSource: { secretKeyRef: { secret: args.secretRefs[k].secret, version: args.secretRefs[k].version } } })),
        ];
        const healthGet = { path: contract.healthPath, port: contract.port };
        const jobRunner = args.jobRunnerMemoryMiB !== undefined;
        const limits = jobRunner ? { cpu: String(gcp.cpu), memory: `${args.jobRunnerMemoryMiB}Mi` } : cloudRunLimits(gcp);

        this.service = new gcpCloudRunV2.Service(
            `${name}-service`,
            {
                project: gcp.project,
                location: gcp.region,
                name: args.serviceName,
                ingress: jobRunner ? INGRESS.internal : INGRESS[gcp.ingress],
                iapEnabled: gcp.access === "iap" && !jobRunner ? true : undefined,
                deletionProtection: spec.protectData,
                labels: { "mlflow-stack": spec.stack.toLowerCase().replace(/[^a-z0-9_-]/g, "-") },
                template: {
                    serviceAccount: args.serviceAccountEmail,
                    timeout: `${gcp.requestTimeoutSeconds}s`,
                    maxInstanceRequestConcurrency: gcp.concurrency,
                    scaling: jobRunner ? { minInstanceCount: 1, maxInstanceCount: 1 } : { minInstanceCount: gcp.minInstances, maxInstanceCount: gcp.maxInstances },
                    vpcAccess: args.vpc ? { egress: "PRIVATE_RANGES_ONLY", networkInterfaces: [{ network: args.vpc.network, subnetwork: args.vpc.subnetwork }] } : undefined,
                    containers: [
                        {
                            image: args.imageRef,
                            // No command: the image's own entrypoint, as on every platform.
                            args: contract.args,
                            ports: { containerPort: contract.port, name: "http1" },
                            envs,
                            // The job runner works between requests: it needs its CPU allocated all the time.
                            resources: { limits, cpuIdle: spec.jobRunner !== "on" && !jobRunner, startupCpuBoost: true },
                            startupProbe: { ...STARTUP_PROBE, httpGet: healthGet },
                            livenessProbe: { ...LIVENESS_PROBE, httpGet: healthGet },
                        },
                    ],
                },
            },
            { parent: this, dependsOn: args.dependsOn },
        );
        this.uri = this.service.uri;

        const invoker = (member: pulumi.Input<string>, key: string) =>
            new gcpCloudRunV2.ServiceIamMember(
                `${name}-invoker-${key}`,
                { project: gcp.project, location: gcp.region, name: this.service.name, role: "roles/run.invoker", member },
                { parent: this },
            );
        // The job runner is called by nobody: no invoker at all.
        switch (jobRunner ? "none" : gcp.access) {
            case "public":
                invoker("allUsers", "all-users");
                break;
            case "iam":
                gcp.invokers.forEach((m, i) => invoker(m, String(i)));
                break;
            case "iap": {
                // IAP calls the service as its service agent, which needs the invoker role.
                const agent = new gcpProjects.ServiceIdentity(`${name}-iap-agent`, { project: gcp.project, service: "iap.googleapis.com" }, { parent: this });
                invoker(agent.member, "iap-agent");
                gcp.invokers.forEach(
                    (m, i) =>
                        new gcpIap.WebCloudRunServiceIamMember(
                            `${name}-iap-user-${i}`,
                            { project: gcp.project, location: gcp.region, cloudRunServiceName: this.service.name, role: "roles/iap.httpsResourceAccessor", member: m },
                            { parent: this },
                        ),
                );
                break;
            }
        }

        if (gcp.customDomain && gcp.domainMapping && !jobRunner) {
            new gcpCloudRun.DomainMapping(
                `${name}-domain`,
                { project: gcp.project, location: gcp.region, name: gcp.customDomain, metadata: { namespace: gcp.project }, spec: { routeName: this.service.name } },
                { parent: this },
            );
        }
        this.url = gcp.customDomain ? pulumi.output(`https://${gcp.customDomain}`) : this.uri;
        this.registerOutputs({ uri: this.uri, url: this.url });
    }
}
