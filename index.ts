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
