import * as app from "@pulumi/azure-native/app";
import * as pulumi from "@pulumi/pulumi";
import { AzureSpec } from "../../config/azure";
import { JobContract } from "../../opsContract";
import { AzureServerIdentity } from "./containerApp";
import { CONSUMPTION_PROFILE, containerAppsCron, GC_JOB_LIMITS, GC_JOB_RESOURCES, SERVER_CONTAINER_NAME } from "./facts";
import { containerEnv, vaultSecretsConfig, VaultSecretRef } from "./keyVault";

export interface AzureGcJobArgs {
    /** The job's name (azureNames(...).gcJob). */
    jobName: string;
    azure: AzureSpec;
    /** gcJobContract(...): the server's image with `--gc`, its schedule, env and secrets. */
    job: JobContract;
    resourceGroupName: pulumi.Input<string>;
    /** The server's Container Apps environment: same network path to the database. */
    environment: app.ManagedEnvironment;
    /** The server's identity: pulls the image, reads the vault, writes the blobs. */
    identity: AzureServerIdentity;
    image: pulumi.Input<string>;
    registry?: { loginServer: pulumi.Input<string> };
    /** The server's Key Vault secrets; the job takes those of its own secretEnv. */
    secrets: VaultSecretRef[];
    /** The identity's grants and the vault's reader grant. */
    dependsOn: pulumi.Resource[];
}

/** The vault secrets a job reads: exactly its secretEnv, each one already in the vault. */
export function jobSecrets(job: JobContract, secrets: VaultSecretRef[]): VaultSecretRef[] {
    return Object.keys(job.secretEnv)
        .sort()
        .map((envName) => {
            const found = secrets.find((s) => s.envName === envName);
            if (!found) {
                throw new Error(`the gc job needs ${envName}, which the server's Key Vault does not hold`);
            }
            return found;
        });
}

/**
 * mlflow:gc on Azure: a Container Apps job with a schedule trigger in the server's environment,
 * running the server's image with `--gc` as the server's identity, its secrets by Key Vault
 * reference. Container Apps evaluates the five-field cron expression in UTC.
 */
export class AzureGcJob extends pulumi.ComponentResource {
    readonly job: app.Job;

    constructor(name: string, args: AzureGcJobArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:AzureGcJob", name, {}, opts);
        const { job, identity } = args;
        const secrets = jobSecrets(job, args.secrets);

        this.job = new app.Job(
            `${name}-job`,
            {
                jobName: args.jobName,
                resourceGroupName: args.resourceGroupName,
                location: args.azure.location,
                environmentId: args.environment.id,
                workloadProfileName: CONSUMPTION_PROFILE,
                identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
                configuration: {
                    triggerType: "Schedule",
                    // One run at a time, done when it exits 0.
                    scheduleTriggerConfig: { cronExpression: containerAppsCron(job.schedule), parallelism: 1, replicaCompletionCount: 1 },
                    ...GC_JOB_LIMITS,
                    registries: args.registry ? [{ server: args.registry.loginServer, identity: identity.id }] : undefined,
                    secrets: vaultSecretsConfig(secrets, identity.id),
                },
                template: {
                    containers: [
                        {
                            name: SERVER_CONTAINER_NAME,
                            image: args.image,
                            // The image's entrypoint runs `mlflow gc` with these instead of `mlflow server`.
                            args: job.args,
                            env: containerEnv(job.env, secrets),
                            resources: { ...GC_JOB_RESOURCES },
                        },
                    ],
                },
            },
            { parent: this, dependsOn: args.dependsOn },
        );
        this.registerOutputs({ jobName: this.job.name });
    }
}
