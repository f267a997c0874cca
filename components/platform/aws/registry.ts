import * as ecr from "@pulumi/aws/ecr";
import * as pulumi from "@pulumi/pulumi";
import { ImageSource } from "../../contract";
import { registryImage } from "../registryImage";

/**
 * The server image on AWS: an ECR repository (scanned on push, encrypted, old images expired)
 * with the pinned image built and pushed; or the prebuilt `mlflow:image`.
 */
export class AwsImage extends pulumi.ComponentResource {
    /** What the task definition runs. */
    readonly ref: pulumi.Output<string>;
    readonly repository?: ecr.Repository;

    constructor(name: string, args: { source: ImageSource; namePrefix: string }, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:AwsImage", name, {}, opts);
        if (args.source.kind === "prebuilt") {
            this.ref = pulumi.output(args.source.ref);
        } else {
            this.repository = new ecr.Repository(
                `${name}-repo`,
                {
                    name: `${args.namePrefix}-server`,
                    imageScanningConfiguration: { scanOnPush: true },
                    encryptionConfigurations: [{ encryptionType: "AES256" }],
                    forceDelete: true,
                },
                { parent: this },
            );
            new ecr.LifecyclePolicy(
                `${name}-expire`,
                {
                    repository: this.repository.name,
                    policy: JSON.stringify({
                        rules: [{ rulePriority: 1, description: "keep the 10 newest images", selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 10 }, action: { type: "expire" } }],
                    }),
                },
                { parent: this },
            );
            const token = ecr.getAuthorizationTokenOutput({ registryId: this.repository.registryId }, { parent: this });
            this.ref = registryImage(
                `${name}-image`,
                args.source,
                this.repository.repositoryUrl,
                { server: token.proxyEndpoint, username: token.userName, password: token.password },
                this,
            );
        }
        this.registerOutputs({ ref: this.ref });
    }
}
