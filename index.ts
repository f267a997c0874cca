// Composition root: read and validate the stack configuration, build the deployment, export.
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./components/config/load";
import { Deployment } from "./components/deployment";

const { spec, warnings, secrets } = loadConfig();
for (const warning of warnings) {
    pulumi.log.warn(warning);
}

const deployment = new Deployment(spec.namePrefix, { spec, secrets });

export const url = deployment.url;
export const trackingUri = deployment.trackingUri;
export const trackingUriExport = pulumi.interpolate`export MLFLOW_TRACKING_URI=${deployment.trackingUri}`;
export const artifactDestination = deployment.artifactDestination;
export const adminUsername = deployment.adminUsername;
export const adminPassword = deployment.adminPassword && pulumi.secret(deployment.adminPassword);
/** Where the server logs go: a CloudWatch log group, a Log Analytics workspace, Cloud Logging. */
export const logs = deployment.result.logs;
/** The bucket (or storage account/container) that holds the artifacts. */
export const artifactStore = deployment.result.artifactStore;
/** host:port of the managed database the program runs. */
export const databaseEndpoint = deployment.result.databaseEndpoint;
