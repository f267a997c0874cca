import * as gcpServiceAccount from "@pulumi/gcp/serviceaccount";
import * as gcpStorage from "@pulumi/gcp/storage";
import * as pulumi from "@pulumi/pulumi";

export interface GcpServerIdentityArgs {
    project: string;
    accountId: string;
    namePrefix: string;
    /** The artifact bucket the server reads and writes (absent when artifacts live elsewhere). */
    bucket?: pulumi.Input<string>;
    dependsOn?: pulumi.Input<pulumi.Resource[]>;
}

/**
 * The server's own service account, and exactly what it may do beyond its secrets:
 * - roles/storage.objectUser on the artifact bucket (objects and multipart uploads; not project-wide);
 * - roles/iam.serviceAccountTokenCreator on itself, for iam.serviceAccounts.signBlob: the signed
 *   URLs of proxied multipart uploads, without a key (components/image/gcp_keyless_signing).
 */
export class GcpServerIdentity extends pulumi.ComponentResource {
    readonly account: gcpServiceAccount.Account;
    readonly email: pulumi.Output<string>;
    /** `serviceAccount:<email>`. */
    readonly member: pulumi.Output<string>;
    /** The grants the service must wait for. */
    readonly grants: pulumi.Resource[] = [];

    constructor(name: string, args: GcpServerIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:GcpIdentity", name, {}, opts);
        this.account = new gcpServiceAccount.Account(
            `${name}-sa`,
            { project: args.project, accountId: args.accountId, displayName: `MLflow server (${args.namePrefix})` },
            { parent: this, dependsOn: args.dependsOn },
        );
        this.email = this.account.email;
        this.member = pulumi.interpolate`serviceAccount:${this.account.email}`;
        this.grants.push(
            new gcpServiceAccount.IAMMember(
                `${name}-sign-blob`,
                { serviceAccountId: this.account.name, role: "roles/iam.serviceAccountTokenCreator", member: this.member },
                { parent: this },
            ),
        );
        if (args.bucket !== undefined) {
            this.grants.push(
                new gcpStorage.BucketIAMMember(`${name}-artifacts`, { bucket: args.bucket, role: "roles/storage.objectUser", member: this.member }, { parent: this }),
            );
        }
        this.registerOutputs({ email: this.email });
    }
}
