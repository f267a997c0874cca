import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { AzureBlobArtifacts } from "./artifacts/azureBlob";
import { GcsArtifacts } from "./artifacts/gcs";
import { LocalArtifacts } from "./artifacts/local";
import { S3Artifacts } from "./artifacts/s3";
import { ExternalPostgresBackend } from "./backend/externalPostgres";
import { PostgresContainerBackend } from "./backend/postgresContainer";
import { SqliteBackend } from "./backend/sqlite";
import { SecretKey } from "./config/parse";
import { DeploymentSpec } from "./config/spec";
import { buildServerContract, ServerContract } from "./contract";
import { DockerPlatform, dockerFoundation, dockerPlatformFacts } from "./platform/docker";
import { ArtifactStoreContract, BackendStoreContract } from "./stores/types";

/** The optional secrets of the stack, each an Output secret straight from `pulumi config`. */
export type DeploymentSecrets = Partial<Record<SecretKey, pulumi.Output<string>>>;

export interface DeploymentArgs {
    spec: DeploymentSpec;
    secrets: DeploymentSecrets;
}

/**
 * The one facade `index.ts` builds: picks the backend store, artifact store and platform from
 * the spec, builds the server contract once, and hands it to the platform.
 */
export class Deployment extends pulumi.ComponentResource {
    readonly url: pulumi.Output<string>;
    readonly trackingUri: pulumi.Output<string>;
    readonly adminUsername?: pulumi.Output<string>;
    readonly adminPassword?: pulumi.Output<string>;
    readonly artifactDestination: pulumi.Output<string>;
    readonly contract: ServerContract;

    constructor(name: string, args: DeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:index:Deployment", name, {}, opts);
        const { spec, secrets } = args;
        if (spec.platform !== "docker") {
            // parseConfig refuses these first; this guards programmatic use of the component.
            throw new Error(`platform ${spec.platform} is not available yet`);
        }

        const foundation = dockerFoundation(spec, name, this);
        const dependsOn: pulumi.Resource[] = [];

        let backend: BackendStoreContract;
        switch (spec.backend.type) {
            case "sqlite":
                backend = new SqliteBackend(`${name}-backend`, { spec: spec.backend }, { parent: this }).contract;
                break;
            case "postgres":
                if (spec.backend.mode === "external") {
                    backend = new ExternalPostgresBackend(`${name}-backend`, { spec: spec.backend, url: secrets.postgresUrl! }, { parent: this }).contract;
                } else {
                    const pg = new PostgresContainerBackend(
                        `${name}-backend`,
                        { spec: spec.backend, namePrefix: spec.namePrefix, networkName: foundation.network.name, password: secrets.dbPassword, protectData: spec.protectData },
                        { parent: this },
                    );
                    dependsOn.push(pg);
                    backend = pg.contract;
                }
                break;
            case "rds":
                throw new Error("backend rds comes with the aws platform, which is not available yet");
        }

        const artifacts = this.artifactStore(name, spec, secrets);
        this.artifactDestination = pulumi.output(artifacts.destination);

        let auth: { adminPassword: pulumi.Output<string>; flaskSecretKey: pulumi.Output<string> } | undefined;
        if (spec.auth.enabled) {
            const adminPassword =
                secrets.adminPassword ?? new random.RandomPassword(`${name}-admin-password`, { length: 24, special: true, overrideSpecial: "-_.~!" }, { parent: this }).result;
            const flaskSecretKey = new random.RandomPassword(`${name}-flask-secret-key`, { length: 64, special: false }, { parent: this }).result;
            auth = { adminPassword: pulumi.secret(adminPassword), flaskSecretKey: pulumi.secret(flaskSecretKey) };
            this.adminUsername = pulumi.output(spec.auth.adminUsername);
            this.adminPassword = auth.adminPassword;
        }

        this.contract = buildServerContract({ spec, backend, artifacts, platform: dockerPlatformFacts(spec), auth });
        const platform = new DockerPlatform(
            `${name}-platform`,
            { spec, contract: this.contract, network: foundation.network, volume: foundation.volume, dependsOn },
            { parent: this },
        );
        this.url = platform.url;
        this.trackingUri = platform.url;
        this.registerOutputs({ url: this.url, trackingUri: this.trackingUri, artifactDestination: this.artifactDestination });
    }

    private artifactStore(name: string, spec: DeploymentSpec, secrets: DeploymentSecrets): ArtifactStoreContract {
        const common = { project: spec.project, stack: spec.stack, protectData: spec.protectData };
        const a = spec.artifacts;
        switch (a.type) {
            case "local":
                return new LocalArtifacts(`${name}-artifacts`, { spec: a }, { parent: this }).contract;
            case "s3": {
                const credentials =
                    secrets.awsAccessKeyId && secrets.awsSecretAccessKey
                        ? { accessKeyId: secrets.awsAccessKeyId, secretAccessKey: secrets.awsSecretAccessKey }
                        : undefined;
                return new S3Artifacts(`${name}-artifacts`, { spec: a, ...common, credentials }, { parent: this }).contract;
            }
            case "azure-blob":
                return new AzureBlobArtifacts(
                    `${name}-artifacts`,
                    {
                        spec: a,
                        ...common,
                        namePrefix: spec.namePrefix,
                        connectionString: secrets.azureStorageConnectionString,
                        accountKey: secrets.azureStorageAccountKey,
                        useAccountKey: true,
                    },
                    { parent: this },
                ).contract;
            case "gcs":
                return new GcsArtifacts(`${name}-artifacts`, { spec: a, ...common, credentialsJson: secrets.gcpCredentialsJson }, { parent: this }).contract;
        }
    }
}
