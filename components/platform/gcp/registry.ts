import * as gcpArtifactRegistry from "@pulumi/gcp/artifactregistry";
import * as gcpOrganizations from "@pulumi/gcp/organizations";
import * as pulumi from "@pulumi/pulumi";
import { ImageSource } from "../../contract";
import { registryImage } from "../registryImage";

export interface GcpImageArgs {
    project: string;
    region: string;
    repositoryId: string;
    source: ImageSource;
    dependsOn?: pulumi.Input<pulumi.Resource[]>;
}

/**
 * The server image: built from components/image and pushed to a private Artifact Registry
 * repository of the stack (keeping the last 10 images), or a prebuilt image passed through.
 */
export class GcpImage extends pulumi.ComponentResource {
    /** What Cloud Run runs: `<repository>/<name>@sha256:...` for a build. */
    readonly imageRef: pulumi.Output<string>;
    readonly repository?: gcpArtifactRegistry.Repository;

    constructor(name: string, args: GcpImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:GcpImage", name, {}, opts);
        if (args.source.kind === "prebuilt") {
            this.imageRef = pulumi.output(args.source.ref);
        } else {
            this.repository = new gcpArtifactRegistry.Repository(
                `${name}-repo`,
                {
                    project: args.project,
                    location: args.region,
                    repositoryId: args.repositoryId,
                    format: "DOCKER",
                    description: "MLflow server images",
                    cleanupPolicies: [{ id: "keep-last-10", action: "KEEP", mostRecentVersions: { keepCount: 10 } }],
                },
                { parent: this, dependsOn: args.dependsOn },
            );
            const server = `${args.region}-docker.pkg.dev`;
            const repositoryUrl = pulumi.interpolate`${server}/${args.project}/${this.repository.repositoryId}/mlflow-server`;
            // The deployer's own OAuth token (from the provider's credentials) logs Docker in.
            const token = gcpOrganizations.getClientConfigOutput({ parent: this }).accessToken;
            this.imageRef = registryImage(`${name}-image`, args.source, repositoryUrl, { server, username: "oauth2accesstoken", password: pulumi.secret(token) }, this);
        }
        this.registerOutputs({ imageRef: this.imageRef });
    }
}
