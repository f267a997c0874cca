// The operations contract: how to run MLflow's garbage collection and, on Docker, the backups,
// from the same image, secrets and stores as the server. Every platform schedules these jobs its
// own way (a scheduler container, EventBridge Scheduler, a Container Apps job, Cloud Scheduler).
// Pure: no resources.

import { Cron } from "./config/operations";
import { DATA_MOUNT, DeploymentSpec } from "./config/spec";
import { ImageSource, imageSource } from "./contract";
import { ArtifactStoreContract, BackendStoreContract, Value } from "./stores/types";

/** Where the Docker platform mounts a host-directory backup destination in the scheduler container. */
export const BACKUP_MOUNT = "/backups";

/** One scheduled job: the image's entrypoint with `args`, on `schedule` (five cron fields, UTC). */
export interface JobContract {
    image: ImageSource;
    /** Arguments of the image's entrypoint (components/image/entrypoint.py), never a secret. */
    args: string[];
    env: Record<string, Value>;
    /** Each must reach the job through the platform's secret store, never plainly. */
    secretEnv: Record<string, Value>;
    schedule: Cron;
}

export interface OpsInput {
    spec: DeploymentSpec;
    backend: BackendStoreContract;
    artifacts: ArtifactStoreContract;
}

/**
 * `mlflow gc --older-than <mlflow:gc.olderThan>` against the tracking database, deleting each
 * purged run's artifacts straight from the artifact store (components/image/operations.py maps
 * the server's `mlflow-artifacts:` URIs onto the destination, so no server is needed).
 * Undefined with mlflow:gc false.
 */
export function gcJobContract({ spec, backend, artifacts }: OpsInput): JobContract | undefined {
    const gc = spec.ops.gc;
    if (!gc) return undefined;
    return {
        image: imageSource(spec),
        args: ["--gc"],
        env: {
            ...spec.extraEnv,
            ...artifacts.env,
            MLFLOW_DEPLOY_ARTIFACTS_DESTINATION: artifacts.destination,
            MLFLOW_DEPLOY_GC_OLDER_THAN: gc.olderThan,
        },
        secretEnv: { ...artifacts.secretEnv, MLFLOW_BACKEND_STORE_URI: backend.uri },
        schedule: gc.schedule,
    };
}

/**
 * Docker's backup (mlflow:backup): an online copy of each database the server uses (SQLite's
 * backup API, or pg_dump) and the local artifacts, to the destination, keeping the newest `keep`.
 */
export function backupJobContract({ spec, backend, artifacts }: OpsInput): JobContract | undefined {
    const backup = spec.ops.backup;
    if (!backup) return undefined;
    const secretEnv: Record<string, Value> = { ...artifacts.secretEnv, MLFLOW_BACKEND_STORE_URI: backend.uri };
    if (spec.auth.enabled) secretEnv.MLFLOW_AUTH_DATABASE_URI = backend.authUri;
    if (spec.auth.sso) secretEnv.OIDC_USERS_DB_URI = backend.oidcUri;
    const env: Record<string, Value> = {
        ...spec.extraEnv,
        ...artifacts.env,
        MLFLOW_DEPLOY_BACKUP_DESTINATION: backup.destinationKind === "directory" ? BACKUP_MOUNT : backup.destination,
        MLFLOW_DEPLOY_BACKUP_KEEP: String(backup.keep),
        MLFLOW_DEPLOY_MLFLOW_VERSION: spec.mlflowVersion,
        // A restore moves what it replaces aside, onto the data volume.
        MLFLOW_DEPLOY_RESTORE_ASIDE: `${DATA_MOUNT}/.pre-restore`,
    };
    if (spec.artifacts.type === "local") env.MLFLOW_DEPLOY_LOCAL_ARTIFACTS = spec.artifacts.path;
    return { image: imageSource(spec), args: ["--backup"], env, secretEnv, schedule: backup.schedule };
}

/**
 * The Docker platform's scheduler: one long-running container that runs each job on its
 * schedule (`entrypoint.py --scheduler`) and reports a failed run through its health check.
 * Undefined when there is nothing to schedule.
 */
export function schedulerContract(input: OpsInput): JobContract | undefined {
    const jobs = { gc: gcJobContract(input), backup: backupJobContract(input) };
    const scheduled = Object.entries(jobs).filter((e): e is [string, JobContract] => e[1] !== undefined);
    if (scheduled.length === 0) return undefined;
    const env: Record<string, Value> = {};
    const secretEnv: Record<string, Value> = {};
    for (const [name, job] of scheduled) {
        Object.assign(env, job.env, { [`MLFLOW_DEPLOY_SCHEDULE_${name.toUpperCase()}`]: job.schedule });
        Object.assign(secretEnv, job.secretEnv);
    }
    return { image: imageSource(input.spec), args: ["--scheduler"], env, secretEnv, schedule: "* * * * *" };
}
