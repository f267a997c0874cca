// Composition root: read and validate the stack configuration, build the deployment, export.
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./components/config/load";
import { Deployment } from "./components/deployment";
import { stackOutputs } from "./components/outputs";

const { spec, warnings, secrets } = loadConfig();
for (const warning of warnings) {
    pulumi.log.warn(warning);
}

const deployment = new Deployment(spec.namePrefix, { spec, secrets });

// url, trackingUri, trackingUriExport, artifactDestination; with auth adminUsername and the
// secret adminPassword; on the clouds logs, artifactStore, databaseEndpoint (components/outputs.ts).
export = stackOutputs(deployment);
