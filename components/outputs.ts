// The stack outputs: only those the stack has. Exporting `undefined` makes every preview and
// up print "Undefined value (name) will not show as a stack output", which a user cannot act on.
import * as pulumi from "@pulumi/pulumi";
import { Deployment } from "./deployment";

export type StackOutputs = Record<string, pulumi.Output<string>>;

export function stackOutputs(deployment: Deployment): StackOutputs {
    const all: Record<string, pulumi.Output<string> | undefined> = {
        url: deployment.url,
        trackingUri: deployment.trackingUri,
        trackingUriExport: pulumi.interpolate`export MLFLOW_TRACKING_URI=${deployment.trackingUri}`,
        artifactDestination: deployment.artifactDestination,
        adminUsername: deployment.adminUsername,
        adminPassword: deployment.adminPassword && pulumi.secret(deployment.adminPassword),
        /** JSON object of account name -> password, for the accounts of mlflow:users. */
        userPasswords: deployment.userPasswords && pulumi.secret(deployment.userPasswords),
        /** Single sign-on: the redirect URI to register at the identity provider. */
        ssoRedirectUri: deployment.ssoRedirectUri,
        /** Where the server logs go: a CloudWatch log group, a Log Analytics workspace, Cloud Logging. */
        logs: deployment.result.logs,
        /** The bucket (or storage account/container) that holds the artifacts. */
        artifactStore: deployment.result.artifactStore,
        /** host:port of the managed database the program runs. */
        databaseEndpoint: deployment.result.databaseEndpoint,
        /** Docker: the stack's containers, {server, jobs?, ops?} as JSON. */
        containers: deployment.result.containers,
    };
    const present: StackOutputs = {};
    for (const [name, value] of Object.entries(all)) {
        if (value !== undefined) {
            present[name] = value;
        }
    }
    return present;
}
