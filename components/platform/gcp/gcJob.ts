import * as gcpCloudRunV2 from "@pulumi/gcp/cloudrunv2";
import * as gcpCloudScheduler from "@pulumi/gcp/cloudscheduler";
import * as gcpServiceAccount from "@pulumi/gcp/serviceaccount";
import * as pulumi from "@pulumi/pulumi";
import { DeploymentSpec } from "../../config/spec";
import { JobContract } from "../../opsContract";
import { GcpNames } from "./facts";
import { SecretRef } from "./secrets";

export interface GcpGcJobArgs {
    spec: DeploymentSpec;
    /** gcJobContract(): the server's image with `--gc`, its plain and secret environment. */
    contract: JobContract;
    names: GcpNames;
    /** The server's image reference (the job runs the very same image). */
    imageRef: pulumi.Input<string>;
    /** The server's own service account: the same access to the bucket, the database and the secrets. */
    serviceAccountEmail: pulumi.Input<string>;
    /** The server's Secret Manager references; the job's secret variables are a subset of the server's. */
    secretRefs: Record<string, SecretRef>;
    /** Direct VPC egress to Cloud SQL's private IP, as the server has it. */
    vpc?: { network: pulumi.Input<string>; subnetwork: pulumi.Input<string> };
    dependsOn?: pulumi.Input<pulumi.Resource[]>;
}

/**
 * `mlflow gc` is one Python process (MLflow's imports, then the database and the artifact store, no
 * web workers): the server's measured footprint with one worker and the job runner off is 408 MiB,
 * so 1 GiB leaves room for a long list of runs to purge. Cloud Run jobs bill only while they run.
 */
export const GC_JOB_LIMITS = { cpu: "1", memory: "1Gi" };
/** One attempt may take this long (a large backlog of deleted runs and their artifacts). */
export const GC_TASK_TIMEOUT = "3600s";
/** gc is idempotent: a second attempt finishes what a failed one (a dropped connection) left. */
export const GC_MAX_RETRIES = 1;
/** The scope Cloud Scheduler asks for when it mints the invoker's access token. */
export const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";

/** The Cloud Run Admin API v2 call that starts one execution of a job. */
export function runJobUri(project: string, region: string, job: string): string {
    return `https://run.googleapis.com/v2/projects/${project}/locations/${region}/jobs/${job}:run`;
}

/**
 * mlflow:gc on GCP: a Cloud Run job running the server's image with `--gc`, as the server's own
 * service account, with the server's network path to Cloud SQL and its secrets from Secret Manager;
 * and a Cloud Scheduler job that starts it on the schedule (UTC) through the Cloud Run Admin API,
 * as a service account of its own that may only run this one job.
 */
export class GcpGcJob extends pulumi.ComponentResource {
    readonly job: gcpCloudRunV2.Job;
    readonly jobName: pulumi.Output<string>;
    readonly scheduler: gcpCloudScheduler.Job;

    constructor(name: string, args: GcpGcJobArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:GcpGcJob", name, {}, opts);
        const { spec, contract, names } = args;
        const { project, region } = spec.gcp!;
        for (const key of Object.keys(contract.secretEnv)) {
            if (!args.secretRefs[key]) {
                throw new Error(`the gc job's secret environment variable ${key} has no Secret Manager reference (the server's secrets hold it)`);
            }
        }
        const envs = [
            ...Object.entries(contract.env).map(([k, v]) => ({ name: k, value: v })),
            ...Object.keys(contract.secretEnv).map((k) => ({ name: k, valueSource: { secretKeyRef: { secret: args.secretRefs[k].secret, version: args.secretRefs[k].version } } })),
        ];
        const labels = { "mlflow-stack": spec.stack.toLowerCase().replace(/[^a-z0-9_-]/g, "-") };

        this.job = new gcpCloudRunV2.Job(
            `${name}-job`,
            {
                project,
                location: region,
                name: names.gcJob,
                // The job holds no data: nothing to protect on destroy.
                deletionProtection: false,
                labels,
                template: {
                    taskCount: 1,
                    parallelism: 1,
                    template: {
                        serviceAccount: args.serviceAccountEmail,
                        timeout: GC_TASK_TIMEOUT,
                        maxRetries: GC_MAX_RETRIES,
                        vpcAccess: args.vpc ? { egress: "PRIVATE_RANGES_ONLY", networkInterfaces: [{ network: args.vpc.network, subnetwork: args.vpc.subnetwork }] } : undefined,
                        containers: [
                            {
                                image: args.imageRef,
                                // No command: the image's own entrypoint, with the contract's arguments.
                                args: contract.args,
                                envs,
                                resources: { limits: GC_JOB_LIMITS },
                            },
                        ],
                    },
                },
            },
            { parent: this, dependsOn: args.dependsOn },
        );
        this.jobName = this.job.name;

        const invoker = new gcpServiceAccount.Account(
            `${name}-invoker`,
            { project, accountId: names.gcInvokerAccountId, displayName: `MLflow gc scheduler (${spec.namePrefix})` },
            { parent: this, dependsOn: args.dependsOn },
        );
        const invokerMember = pulumi.interpolate`serviceAccount:${invoker.email}`;
        // run.invoker holds run.jobs.run: on this one job, never project-wide.
        const grant = new gcpCloudRunV2.JobIamMember(
            `${name}-invoker-run`,
            { project, location: region, name: this.job.name, role: "roles/run.invoker", member: invokerMember },
            { parent: this },
        );

        this.scheduler = new gcpCloudScheduler.Job(
            `${name}-schedule`,
            {
                project,
                region,
                name: names.gcJob,
                description: `Runs the Cloud Run job ${names.gcJob}: mlflow gc of ${spec.namePrefix}`,
                schedule: contract.schedule,
                timeZone: "Etc/UTC",
                retryConfig: { retryCount: 3 },
                httpTarget: {
                    httpMethod: "POST",
                    uri: this.job.name.apply((job) => runJobUri(project, region, job)),
                    oauthToken: { serviceAccountEmail: invoker.email, scope: CLOUD_PLATFORM_SCOPE },
                },
            },
            { parent: this, dependsOn: [grant] },
        );
        this.registerOutputs({ jobName: this.jobName });
    }
}
