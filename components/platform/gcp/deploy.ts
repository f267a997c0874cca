// GCP: Cloud Run running the one server contract, Cloud SQL for PostgreSQL on a private network
// (or an external PostgreSQL), GCS artifacts reached with the service's own identity, secrets in
// Secret Manager. No service account key anywhere.
import * as organizations from "@pulumi/gcp/organizations";
import { signInRequired } from "../../config/access";
import * as pulumi from "@pulumi/pulumi";
import { createArtifactStore } from "../../artifacts/select";
import { GcsArtifacts } from "../../artifacts/gcs";
import { CloudSqlBackend } from "../../backend/cloudSql";
import { ExternalPostgresBackend } from "../../backend/externalPostgres";
import { footprintMiB } from "../../config/footprint";
import { defaultCloudRunMemory } from "../../config/gcp";
import { buildServerContract } from "../../contract";
import { gcJobContract } from "../../opsContract";
import { BackendStoreContract } from "../../stores/types";
import { PlatformContext, PlatformResult } from "../types";
import { GcpAlerts } from "./alerts";
import { GcpApis } from "./apis";
import { GcpCloudRunService } from "./cloudRun";
import { gcpNames, gcpPlatformFacts, logsUrl, requiredApis, runAppHost } from "./facts";
import { GcpGcJob } from "./gcJob";
import { GcpServerIdentity } from "./identity";
import { GcpNetwork } from "./network";
import { GcpImage } from "./registry";
import { GcpSecrets } from "./secrets";

export function deployOnGcp(ctx: PlatformContext): PlatformResult {
    const { name, spec, secrets, parent } = ctx;
    const gcp = spec.gcp;
    if (!gcp) {
        throw new Error("platform gcp needs its settings (mlflow:gcp, gcp:project, gcp:region); parseConfig provides them");
    }
    const { project, region } = gcp;
    if (spec.ops.restore && !secrets.dbPassword) {
        // A restored instance keeps the source's user and its password; the server must log in with it.
        throw new Error(
            "mlflow:restore needs mlflow:dbPassword, the password the source instance's database user has (README: Operations): " +
                `pulumi config set --secret mlflow:dbPassword <the source stack's database password> --stack ${spec.stack}`,
        );
    }
    const names = gcpNames(spec.namePrefix);
    const apis = new GcpApis(`${name}-apis`, { project, apis: requiredApis(spec) }, { parent });
    const afterApis = apis.services;

    let backend: BackendStoreContract;
    let databaseEndpoint: pulumi.Output<string> | undefined;
    let vpc: { network: pulumi.Input<string>; subnetwork: pulumi.Input<string> } | undefined;
    let sqlInstanceName: pulumi.Output<string> | undefined;
    const waitFor: pulumi.Resource[] = [...afterApis];
    switch (spec.backend.type) {
        case "cloudsql": {
            const network = new GcpNetwork(`${name}-network`, { project, region, spec: gcp.network, names, dependsOn: afterApis }, { parent });
            const db = new CloudSqlBackend(
                `${name}-backend`,
                {
                    spec: spec.backend,
                    project,
                    region,
                    stack: spec.stack,
                    sso: spec.auth.sso !== undefined,
                    instanceBaseName: names.sqlInstanceBase,
                    privateNetwork: network.networkId,
                    password: secrets.dbPassword,
                    protectData: spec.protectData,
                    dependsOn: [...afterApis, ...network.ready],
                    restore: spec.ops.restore,
                },
                { parent },
            );
            backend = db.contract;
            sqlInstanceName = db.instance.name;
            databaseEndpoint = db.endpoint;
            vpc = { network: network.networkName, subnetwork: network.subnetworkName };
            waitFor.push(db);
            break;
        }
        case "postgres":
            if (spec.backend.mode === "external" && secrets.postgresUrl) {
                backend = new ExternalPostgresBackend(`${name}-backend`, { spec: spec.backend, url: secrets.postgresUrl }, { parent }).contract;
                break;
            }
            throw new Error("platform gcp runs postgres only as an external server (mlflow:postgresUrl), or backend type cloudsql");
        default:
            // parseConfig refuses these first; this guards programmatic use of the wiring.
            throw new Error(`backend ${spec.backend.type} does not run on platform gcp`);
    }

    const { store, contract: artifacts } = createArtifactStore(ctx);
    const bucket = store instanceof GcsArtifacts ? store.bucketName : undefined;
    const identity = new GcpServerIdentity(
        `${name}-identity`,
        { project, accountId: names.serviceAccountId, namePrefix: spec.namePrefix, bucket, dependsOn: afterApis },
        { parent },
    );

    // The project number names the service's deterministic run.app URL before the service exists.
    const projectNumber = organizations.getProjectOutput({ projectId: project }, { parent }).apply((p) => {
        if (!p.number) {
            throw new Error(`could not read the number of GCP project ${project}`);
        }
        return p.number;
    });
    const stores = { spec, backend, artifacts, platform: gcpPlatformFacts(spec, gcp, projectNumber), auth: ctx.auth, sso: ctx.sso };
    const dedicated = spec.jobRunner === "dedicated";
    const contract = buildServerContract({ ...stores, role: dedicated ? "web" : "server" });
    const secretStore = new GcpSecrets(
        `${name}-secrets`,
        { project, region, namePrefix: spec.namePrefix, values: contract.secretEnv, accessor: identity.member, dependsOn: afterApis },
        { parent },
    );
    const image = new GcpImage(`${name}-image`, { project, region, repositoryId: names.repository, source: contract.image, dependsOn: afterApis }, { parent });

    // The database, the network, the identity's grants and each secret's accessor grant.
    const serverReady = [...waitFor, ...identity.grants, ...secretStore.grants];
    const run = new GcpCloudRunService(
        `${name}-platform`,
        {
            spec,
            contract,
            serviceName: names.service,
            imageRef: image.imageRef,
            serviceAccountEmail: identity.email,
            secretRefs: secretStore.refs,
            vpc,
            dependsOn: serverReady,
        },
        { parent },
    );

    if (dedicated) {
        // mlflow:jobRunner "dedicated": the job runner, a second service from the same image.
        new GcpCloudRunService(
            `${name}-jobs`,
            {
                spec,
                contract: buildServerContract({ ...stores, role: "job-runner" }),
                serviceName: names.jobRunnerService,
                imageRef: image.imageRef,
                serviceAccountEmail: identity.email,
                secretRefs: secretStore.refs,
                vpc,
                dependsOn: serverReady,
                jobRunnerMemoryMiB: defaultCloudRunMemory(gcp.cpu, footprintMiB(1, "dedicated", signInRequired(spec.auth), "job-runner", spec.auth.sso !== undefined)),
            },
            { parent },
        );
    }

    // mlflow:gc: the same image, identity, network path and secrets as the server.
    const gcContract = gcJobContract({ spec, backend, artifacts });
    const gc = gcContract
        ? new GcpGcJob(
              `${name}-gc`,
              { spec, contract: gcContract, names, imageRef: image.imageRef, serviceAccountEmail: identity.email, secretRefs: secretStore.refs, vpc, dependsOn: serverReady },
              { parent },
          )
        : undefined;
    if (spec.ops.alerts) {
        new GcpAlerts(
            `${name}-alerts`,
            {
                spec,
                alerts: spec.ops.alerts,
                serviceName: names.service,
                runAppHost: projectNumber.apply((n) => runAppHost(names.service, n, region)),
                healthPath: contract.healthPath,
                projectNumber,
                sqlInstanceName,
                gcJobName: gc?.jobName,
                logsUrl: logsUrl(project, region, names.service),
                dependsOn: [...afterApis, run],
            },
            { parent },
        );
    }

    return {
        url: gcp.customDomain ? run.url : pulumi.interpolate`https://${projectNumber.apply((n) => runAppHost(names.service, n, region))}`,
        contract,
        artifactDestination: pulumi.output(artifacts.destination),
        logs: pulumi.output(logsUrl(project, region, names.service)),
        artifactStore: bucket ? pulumi.interpolate`gs://${bucket}` : undefined,
        databaseEndpoint,
    };
}
