// Picks and creates the artifact store of the spec, with the credentials the platform needs:
// none for the platform's own cloud (its identity is granted access), the stack's keys otherwise.
import * as pulumi from "@pulumi/pulumi";
import { NATIVE_ARTIFACTS } from "../config/spec";
import { PlatformContext } from "../platform/types";
import { ArtifactStoreContract } from "../stores/types";
import { AzureBlobArtifacts } from "./azureBlob";
import { GcsArtifacts } from "./gcs";
import { LocalArtifacts } from "./local";
import { S3Artifacts } from "./s3";

export type ArtifactStore = LocalArtifacts | S3Artifacts | AzureBlobArtifacts | GcsArtifacts;

export interface ArtifactIdentity {
    /** Client id of the server's Azure managed identity (platform azure). */
    azureClientId?: pulumi.Input<string>;
}

/** True when the platform reaches this store with its own identity, without keys. */
export function isNativeStore(ctx: PlatformContext): boolean {
    const { platform, artifacts } = ctx.spec;
    return platform !== "docker" && NATIVE_ARTIFACTS[platform] === artifacts.type;
}

export function createArtifactStore(ctx: PlatformContext, identity: ArtifactIdentity = {}): { store: ArtifactStore; contract: ArtifactStoreContract } {
    const { spec, secrets, name, parent } = ctx;
    const common = { project: spec.project, stack: spec.stack, protectData: spec.protectData };
    const opts = { parent };
    const native = isNativeStore(ctx);
    const a = spec.artifacts;
    let store: ArtifactStore;
    switch (a.type) {
        case "local":
            store = new LocalArtifacts(`${name}-artifacts`, { spec: a }, opts);
            break;
        case "s3": {
            const credentials =
                secrets.awsAccessKeyId && secrets.awsSecretAccessKey
                    ? { accessKeyId: secrets.awsAccessKeyId, secretAccessKey: secrets.awsSecretAccessKey }
                    : undefined;
            store = new S3Artifacts(`${name}-artifacts`, { spec: a, ...common, credentials }, opts);
            break;
        }
        case "azure-blob":
            store = new AzureBlobArtifacts(
                `${name}-artifacts`,
                {
                    spec: a,
                    ...common,
                    namePrefix: spec.namePrefix,
                    connectionString: secrets.azureStorageConnectionString,
                    accountKey: secrets.azureStorageAccountKey,
                    useAccountKey: !native,
                    managedIdentityClientId: native ? identity.azureClientId : undefined,
                },
                opts,
            );
            break;
        case "gcs":
            store = new GcsArtifacts(`${name}-artifacts`, { spec: a, ...common, credentialsJson: native ? undefined : secrets.gcpCredentialsJson }, opts);
            break;
    }
    return { store, contract: store.contract };
}
