import * as secretsmanager from "@pulumi/aws/secretsmanager";
import * as pulumi from "@pulumi/pulumi";
import { Value } from "../../stores/types";

export interface TaskSecretRef {
    /** The environment variable the container sees. */
    name: string;
    /** ARN of the Secrets Manager secret. */
    valueFrom: pulumi.Output<string>;
}

/**
 * One Secrets Manager secret per secret environment variable of the contract (backend URI,
 * auth database URI, admin password, Flask key...). The task definition references them by ARN
 * in `secrets`, so no value ever appears in the task definition.
 */
export class AwsSecrets extends pulumi.ComponentResource {
    readonly refs: TaskSecretRef[];
    readonly arns: pulumi.Output<string>[];

    constructor(name: string, args: { namePrefix: string; values: Record<string, Value>; protectData: boolean }, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:AwsSecrets", name, {}, opts);
        this.refs = Object.entries(args.values)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([envName, value]) => {
                const logical = envName.toLowerCase().replace(/_/g, "-");
                const secret = new secretsmanager.Secret(
                    `${name}-${logical}`,
                    {
                        namePrefix: `${args.namePrefix}/${envName}-`,
                        description: `MLflow ${args.namePrefix}: ${envName}`,
                        recoveryWindowInDays: args.protectData ? 30 : 7,
                    },
                    { parent: this },
                );
                new secretsmanager.SecretVersion(`${name}-${logical}`, { secretId: secret.id, secretString: pulumi.secret(pulumi.output(value)) }, { parent: this });
                return { name: envName, valueFrom: secret.arn };
            });
        this.arns = this.refs.map((r) => r.valueFrom);
        this.registerOutputs({ arns: this.arns });
    }
}
