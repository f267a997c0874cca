// The validated, typed description of one deployment: what `parseConfig` produces from the
// stack configuration and what every component consumes. Plain data only: secrets are not in
// here (they travel as `pulumi.Output` secrets in `DeploymentSecrets`).

import type { AwsSpec } from "./aws";
import type { AzurePostgresBackendSpec, AzureSpec } from "./azure";
import type { CloudSqlBackendSpec, GcpSpec } from "./gcp";
import type { JobRunnerMode } from "./jobRunner";
import type { OperationsSpec } from "./operations";

export const PLATFORMS = ["docker", "aws", "azure", "gcp"] as const;
export type Platform = (typeof PLATFORMS)[number];

export const BACKEND_TYPES = ["sqlite", "postgres", "rds", "azure-postgres", "cloudsql"] as const;
export type BackendType = (typeof BACKEND_TYPES)[number];

export const ARTIFACT_TYPES = ["local", "s3", "azure-blob", "gcs"] as const;
export type ArtifactType = (typeof ARTIFACT_TYPES)[number];

/** The artifact store each cloud platform reaches with its own identity, without keys. */
export const NATIVE_ARTIFACTS: Record<Exclude<Platform, "docker">, ArtifactType> = { aws: "s3", azure: "azure-blob", gcp: "gcs" };

/** Where the Docker platform mounts its named data volume inside the MLflow container. */
export const DATA_MOUNT = "/mlflow";

export interface SqliteBackendSpec {
    type: "sqlite";
    /** Absolute path of the database file inside the container, under DATA_MOUNT. */
    path: string;
}

export interface PostgresBackendSpec {
    type: "postgres";
    /** `container`: a PostgreSQL container beside MLflow; `external`: `mlflow:postgresUrl`. */
    mode: "container" | "external";
    /** Database for runs and experiments (container mode; in external mode, from the URL). */
    database: string;
    /** Database for the basic-auth app, on the same server. */
    authDatabase: string;
    /** Role MLflow connects as (container mode). */
    user: string;
}

export interface RdsBackendSpec {
    type: "rds";
    instanceClass: string;
    allocatedStorageGb: number;
    /** Storage autoscaling ceiling. */
    maxAllocatedStorageGb: number;
    database: string;
    authDatabase: string;
    user: string;
    multiAz: boolean;
    backupRetentionDays: number;
}

/** The managed PostgreSQL of each cloud platform. */
export const MANAGED_BACKEND: Record<Exclude<Platform, "docker">, "rds" | "azure-postgres" | "cloudsql"> = {
    aws: "rds",
    azure: "azure-postgres",
    gcp: "cloudsql",
};

export type BackendSpec = SqliteBackendSpec | PostgresBackendSpec | RdsBackendSpec | AzurePostgresBackendSpec | CloudSqlBackendSpec;

interface ArtifactsBase {
    /** Key prefix inside the store, so stacks can share a bucket. No leading/trailing slash. */
    prefix: string;
}

export interface LocalArtifactsSpec extends ArtifactsBase {
    type: "local";
    /** Absolute directory inside the container, under DATA_MOUNT. */
    path: string;
}

export interface S3ArtifactsSpec extends ArtifactsBase {
    type: "s3";
    /** An existing bucket to use; when absent the program creates one. */
    bucket?: string;
    /** S3-compatible endpoint (MinIO, Ceph, R2...): set as MLFLOW_S3_ENDPOINT_URL. */
    endpointUrl?: string;
    /** Region of the bucket, for the server's S3 client (AWS_DEFAULT_REGION). */
    region?: string;
}

export interface AzureBlobArtifactsSpec extends ArtifactsBase {
    type: "azure-blob";
    /** An existing storage account; when absent the program creates one. */
    storageAccount?: string;
    /** Container name; created by the program unless `existingContainer`. */
    container: string;
    /** True when `container` already exists in `storageAccount`. */
    existingContainer: boolean;
    /** Resource group for created resources (created when absent). */
    resourceGroup?: string;
    location?: string;
}

export interface GcsArtifactsSpec extends ArtifactsBase {
    type: "gcs";
    /** An existing bucket to use; when absent the program creates one. */
    bucket?: string;
    location: string;
}

export type ArtifactsSpec = LocalArtifactsSpec | S3ArtifactsSpec | AzureBlobArtifactsSpec | GcsArtifactsSpec;

/** MLflow's permissions, as `default_permission` and the grants name them. */
export const PERMISSIONS = ["READ", "EDIT", "MANAGE", "NO_PERMISSIONS"] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** One account of `mlflow:users` (basic auth), besides the admin. */
export interface UserSpec {
    name: string;
    admin: boolean;
    /** Changing it generates a new password (ignored when mlflow:userPasswords gives one). */
    rotation: string;
    /** mlflow:userPasswords gives this account's password; otherwise it is generated. */
    passwordGiven: boolean;
}

/** One grant of `mlflow:grants`: `permission` on the experiment named `experiment`. */
export interface GrantSpec {
    user: string;
    experiment: string;
    permission: Permission;
}

export interface AuthSpec {
    /** Basic auth (`mlflow:auth`). */
    enabled: boolean;
    adminUsername: string;
    /** Seconds a successful password check is cached per server process (0: off). */
    cacheSeconds: number;
    /** Everyone's permission on what nobody granted them (`mlflow:defaultPermission`). */
    defaultPermission: Permission;
    /** Basic auth: the accounts the deployment manages besides the admin (`mlflow:users`). */
    users: UserSpec[];
    grants: GrantSpec[];
    /** Single sign-on with OpenID Connect (`mlflow:sso`); never together with basic auth. */
    sso?: SsoSpec;
}

/** `mlflow:sso`: the mlflow-oidc-auth app against one OpenID Connect provider. */
export interface SsoSpec {
    /** The provider's issuer URL (its discovery document is `<issuer>/.well-known/openid-configuration`). */
    issuer: string;
    clientId: string;
    scopes: string[];
    /** The ID-token claim that lists the user's groups. */
    groupsClaim: string;
    /** Members of any of these groups may sign in. */
    allowedGroups: string[];
    /** Members of any of these groups are MLflow admins. */
    adminGroups: string[];
}

/** SQLAlchemy's pool of each database engine in each server process. */
export interface DbPoolSpec {
    size: number;
    maxOverflow: number;
}

export interface DeploymentSpec {
    project: string;
    stack: string;
    /** `<project>-<stack>`: every resource name starts with it. */
    namePrefix: string;
    platform: Platform;
    /** Host port on Docker. */
    port: number;
    mlflowVersion: string;
    /** A prebuilt image to run instead of building components/image. */
    image?: string;
    workers: number;
    /** Whether `mlflow server` runs MLflow's job runner (components/config/jobRunner.ts). */
    jobRunner: JobRunnerMode;
    auth: AuthSpec;
    dbPool: DbPoolSpec;
    /** Extra Host headers the server accepts, beyond the ones the platform serves. */
    allowedHosts: string[];
    /** Extra browser origins allowed to write, beyond the ones the platform serves. */
    corsAllowedOrigins: string[];
    /** The host name users reach the server by (Docker: the Docker host). */
    publicHost: string;
    extraArgs: string[];
    extraEnv: Record<string, string>;
    backend: BackendSpec;
    artifacts: ArtifactsSpec;
    /** Production turns on what protects data (`protect`, deletion protection...). */
    protectData: boolean;
    /** Garbage collection, backups, alerts and a restore (components/config/operations.ts). */
    ops: OperationsSpec;
    /** Settings of the cloud platform in use (`mlflow:aws`, `mlflow:azure`, `mlflow:gcp`). */
    aws?: AwsSpec;
    azure?: AzureSpec;
    gcp?: GcpSpec;
}
