import * as gcpSecretManager from "@pulumi/gcp/secretmanager";
import * as pulumi from "@pulumi/pulumi";
import { Value } from "../../stores/types";
import { secretId } from "./facts";

export interface GcpSecretsArgs {
    project: string;
    region: string;
    namePrefix: string;
    /** Environment variable -> secret value (the contract's secretEnv). */
    values: Record<string, Value>;
    /** `serviceAccount:<email>`: the one identity allowed to read these secrets. */
    accessor: pulumi.Input<string>;
    dependsOn?: pulumi.Input<pulumi.Resource[]>;
}

export interface SecretRef {
    /** Secret id in Secret Manager. */
    secret: pulumi.Output<string>;
    /** The version number the service reads (pinned, so a changed secret rolls out a new revision). */
    version: pulumi.Output<string>;
}

/**
 * One Secret Manager secret per secret environment variable, replicated in the stack's region
 * only, and `roles/secretmanager.secretAccessor` for the server's service account on each
 * secret (never project-wide).
 */
export class GcpSecrets extends pulumi.ComponentResource {
    readonly refs: Record<string, SecretRef> = {};
    /** The per-secret grants: the service must wait for them before its first revision starts. */
    readonly grants: pulumi.Resource[] = [];

    constructor(name: string, args: GcpSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:GcpSecrets", name, {}, opts);
        for (const [env, value] of Object.entries(args.values)) {
            const id = secretId(args.namePrefix, env);
            const child = `${name}-${env.toLowerCase().replace(/_/g, "-")}`;
            const secret = new gcpSecretManager.Secret(
                child,
                {
                    project: args.project,
                    secretId: id,
                    replication: { userManaged: { replicas: [{ location: args.region }] } },
                    labels: { "mlflow-env": env.toLowerCase() },
                },
                { parent: this, dependsOn: args.dependsOn },
            );
            const version = new gcpSecretManager.SecretVersion(`${child}-v`, { secret: secret.id, secretData: pulumi.secret(pulumi.output(value)) }, { parent: this });
            const grant = new gcpSecretManager.SecretIamMember(
                `${child}-accessor`,
                { project: args.project, secretId: secret.secretId, role: "roles/secretmanager.secretAccessor", member: args.accessor },
                { parent: this },
            );
            this.grants.push(grant);
            this.refs[env] = { secret: secret.secretId, version: version.version };
        }
        this.registerOutputs({ secretIds: Object.values(this.refs).map((r) => r.secret) });
    }
}
