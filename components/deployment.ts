import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Platform } from "./config/spec";
import { AuthSecrets, ServerContract } from "./contract";
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
    readonly artifactDestination: pulumi.Output<string>;
    readonly contract: ServerContract;
    /** Everything the platform exposes (log group, bucket, database endpoint...). */
    readonly result: PlatformResult;

    constructor(name: string, args: DeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:index:Deployment", name, {}, opts);
        const { spec, secrets } = args;

        let auth: AuthSecrets | undefined;
        if (spec.auth.enabled) {
            const adminPassword =
                secrets.adminPassword ?? new random.RandomPassword(`${name}-admin-password`, { length: 24, special: true, overrideSpecial: "-_.~!" }, { parent: this }).result;
            const flaskSecretKey = new random.RandomPassword(`${name}-flask-secret-key`, { length: 64, special: false }, { parent: this }).result;
            auth = { adminPassword: pulumi.secret(adminPassword), flaskSecretKey: pulumi.secret(flaskSecretKey) };
            this.adminUsername = pulumi.output(spec.auth.adminUsername);
            this.adminPassword = pulumi.secret(adminPassword);
        }

        this.result = WIRING[spec.platform]({ name, spec, secrets, auth, parent: this });
        this.contract = this.result.contract;
        this.url = this.result.url;
        this.trackingUri = this.result.url;
        this.artifactDestination = this.result.artifactDestination;
        this.registerOutputs({ url: this.url, trackingUri: this.trackingUri, artifactDestination: this.artifactDestination });
    }
}
