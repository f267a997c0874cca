import * as pulumi from "@pulumi/pulumi";
import { createAccessSecrets } from "./accessSecrets";
import { Platform } from "./config/spec";
import { ServerContract } from "./contract";
import { deployOnAws } from "./platform/aws/deploy";
import { deployOnAzure } from "./platform/azure/deploy";
import { deployOnDocker } from "./platform/docker/deploy";
import { deployOnGcp } from "./platform/gcp/deploy";
import { DeploymentSecrets, PlatformResult, PlatformWiring } from "./platform/types";
import { DeploymentSpec } from "./config/spec";

export { DeploymentSecrets } from "./platform/types";

export interface DeploymentArgs {
    spec: DeploymentSpec;
    secrets: DeploymentSecrets;
}

/** Each platform's wiring: backend store, artifact store, the one contract, the platform. */
const WIRING: Record<Platform, PlatformWiring> = {
    docker: deployOnDocker,
    aws: deployOnAws,
    azure: deployOnAzure,
    gcp: deployOnGcp,
};

/**
 * The one facade `index.ts` builds: creates the auth secrets, then hands the spec to the
 * platform's wiring, which picks the stores, builds the server contract once, and runs it.
 */
export class Deployment extends pulumi.ComponentResource {
    readonly url: pulumi.Output<string>;
    readonly trackingUri: pulumi.Output<string>;
    readonly adminUsername?: pulumi.Output<string>;
    readonly adminPassword?: pulumi.Output<string>;
    /** Secret JSON object of account name -> password (mlflow:users). */
    readonly userPasswords?: pulumi.Output<string>;
    /** Single sign-on: the redirect URI to register at the provider. */
    readonly ssoRedirectUri?: pulumi.Output<string>;
    readonly artifactDestination: pulumi.Output<string>;
    readonly contract: ServerContract;
    /** Everything the platform exposes (log group, bucket, database endpoint...). */
    readonly result: PlatformResult;

    constructor(name: string, args: DeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:index:Deployment", name, {}, opts);
        const { spec, secrets } = args;

        const access = createAccessSecrets(name, spec.auth, secrets, this);
        if (access.adminPassword) {
            this.adminUsername = pulumi.output(spec.auth.adminUsername);
            this.adminPassword = access.adminPassword;
        }
        this.userPasswords = access.userPasswords;

        this.result = WIRING[spec.platform]({ name, spec, secrets, auth: access.auth, sso: access.sso, parent: this });
        this.contract = this.result.contract;
        if (spec.auth.sso) {
            this.ssoRedirectUri = pulumi.output(this.contract.env.OIDC_REDIRECT_URI);
        }
        this.url = this.result.url;
        this.trackingUri = this.result.url;
        this.artifactDestination = this.result.artifactDestination;
        this.registerOutputs({ url: this.url, trackingUri: this.trackingUri, artifactDestination: this.artifactDestination });
    }
}
