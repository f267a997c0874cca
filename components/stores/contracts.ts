// What each store gives the server, as pure functions of the store's names and credentials.
// The store components call these with resource Outputs; the integration tests call them with
// the names of local stand-ins. Nothing here registers a resource.

import * as path from "path";
import { SqliteBackendSpec } from "../config/spec";
import { ArtifactStoreContract, BackendStoreContract, combine, concat, Value } from "./types";
import { normalizePostgresUrl, postgresUri, sqliteUri } from "./uris";

export function sqliteBackendContract(spec: SqliteBackendSpec): BackendStoreContract {
    return {
        uri: sqliteUri(spec.path),
        // The auth database must persist too: beside the tracking database, on the same volume.
        authUri: sqliteUri(path.posix.join(path.posix.dirname(spec.path), "basic_auth.db")),
        oidcUri: sqliteUri(path.posix.join(path.posix.dirname(spec.path), "oidc_auth.db")),
        packages: [],
        singleReplica: true,
    };
}

/**
 * Single sign-on's database: its own, never the basic-auth one (both apps have a `users` table),
 * so a stack can move between the two and back.
 */
export function oidcDatabaseName(authDatabase: string): string {
    return `${authDatabase.slice(0, 58)}_oidc`;
}

export interface PostgresServer {
    host: Value;
    port: number;
    user: string;
    password: Value;
    database: string;
    authDatabase: string;
}

export function postgresBackendContract(server: PostgresServer): BackendStoreContract {
    const uriFor = (database: string) =>
        combine([server.host, server.password], ([host, password]) => postgresUri({ user: server.user, password, host, port: server.port, database }));
    return {
        uri: uriFor(server.database),
        authUri: uriFor(server.authDatabase),
        oidcUri: uriFor(oidcDatabaseName(server.authDatabase)),
        packages: ["psycopg2-binary"],
        singleReplica: false,
        network: { host: server.host, port: server.port },
    };
}

/** An external server given as one secret URL; the auth database sits on the same server. */
export function externalPostgresBackendContract(url: Value, authDatabase: string): BackendStoreContract {
    return {
        uri: combine([url], ([u]) => normalizePostgresUrl(u)),
        authUri: combine([url], ([u]) => normalizePostgresUrl(u, authDatabase)),
        oidcUri: combine([url], ([u]) => normalizePostgresUrl(u, oidcDatabaseName(authDatabase))),
        packages: ["psycopg2-binary"],
        singleReplica: false,
    };
}

export function localArtifactsContract(directory: string, prefix: string): ArtifactStoreContract {
    return {
        destination: path.posix.join(directory, prefix),
        env: {},
        secretEnv: {},
        packages: [],
        grant: { access: "read-write", resource: `volume:${directory}`, prefix, actions: ["filesystem read/write by the server process"] },
    };
}

export interface S3Access {
    bucket: Value;
    prefix: string;
    endpointUrl?: string;
    region?: string;
    /** Static keys, only where the platform has no identity of its own (Docker). */
    credentials?: { accessKeyId: Value; secretAccessKey: Value };
}

export function s3ArtifactsContract(a: S3Access): ArtifactStoreContract {
    const env: Record<string, Value> = {};
    if (a.endpointUrl) {
        env.MLFLOW_S3_ENDPOINT_URL = a.endpointUrl;
    }
    if (a.region) {
        env.AWS_DEFAULT_REGION = a.region;
    }
    const secretEnv: Record<string, Value> = {};
    if (a.credentials) {
        secretEnv.AWS_ACCESS_KEY_ID = a.credentials.accessKeyId;
        secretEnv.AWS_SECRET_ACCESS_KEY = a.credentials.secretAccessKey;
    }
    return {
        destination: concat("s3://", a.bucket, "/", a.prefix),
        env,
        secretEnv,
        packages: ["boto3"],
        grant: {
            access: "read-write",
            resource: concat("s3://", a.bucket),
            prefix: a.prefix,
            actions: ["s3:ListBucket (prefix-limited)", "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
        },
    };
}

export interface AzureBlobAccess {
    account: Value;
    container: Value;
    prefix: string;
    /** One of these where the platform has no managed identity (Docker). */
    connectionString?: Value;
    accountKey?: Value;
    /** Client id of a user-assigned managed identity (DefaultAzureCredential). */
    managedIdentityClientId?: Value;
}

export function azureBlobArtifactsContract(a: AzureBlobAccess): ArtifactStoreContract {
    const env: Record<string, Value> = {};
    const secretEnv: Record<string, Value> = {};
    if (a.connectionString !== undefined) {
        secretEnv.AZURE_STORAGE_CONNECTION_STRING = a.connectionString;
    } else if (a.accountKey !== undefined) {
        secretEnv.AZURE_STORAGE_ACCESS_KEY = a.accountKey;
    } else if (a.managedIdentityClientId !== undefined) {
        env.AZURE_CLIENT_ID = a.managedIdentityClientId;
    }
    return {
        destination: concat("wasbs://", a.container, "@", a.account, ".blob.core.windows.net/", a.prefix),
        env,
        secretEnv,
        packages: ["azure-storage-blob", "azure-identity"],
        grant: {
            access: "read-write",
            resource: concat("wasbs://", a.container, "@", a.account),
            prefix: a.prefix,
            actions: ["Storage Blob Data Contributor on the container"],
        },
    };
}

export interface GcsAccess {
    bucket: Value;
    prefix: string;
    /** A service account key (JSON), only where the platform has no identity of its own. */
    credentialsJson?: Value;
}

export function gcsArtifactsContract(a: GcsAccess): ArtifactStoreContract {
    const secretEnv: Record<string, Value> = {};
    if (a.credentialsJson !== undefined) {
        // The entrypoint writes it to a private file and points GOOGLE_APPLICATION_CREDENTIALS at it.
        secretEnv.MLFLOW_GCP_CREDENTIALS_JSON = a.credentialsJson;
    }
    return {
        destination: concat("gs://", a.bucket, "/", a.prefix),
        env: {},
        secretEnv,
        packages: ["google-cloud-storage"],
        grant: {
            access: "read-write",
            resource: concat("gs://", a.bucket),
            prefix: a.prefix,
            actions: ["roles/storage.objectUser on the bucket"],
        },
    };
}
