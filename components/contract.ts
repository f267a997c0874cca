// The server contract: from the spec and the two stores, exactly how to run MLflow. Every
// platform runs this one contract, and the integration tests run it as a local process.
// Pure: no resources.

import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { AuthSecrets, basicAuthContract, SsoSecrets, ssoContract } from "./authContract";
import { jobRunnerEnv, ServerRole } from "./config/jobRunner";
import { DeploymentSpec } from "./config/spec";
import { ArtifactStoreContract, BackendStoreContract, combine, Value } from "./stores/types";
import { MLFLOW_BASE_IMAGE, POSTGRES_IMAGE } from "./versions";

export const HEALTH_PATH = "/health";
/** The port MLflow listens on inside its container (the host port is mlflow:port). */
export const CONTAINER_PORT = 5000;
/** The host the job runner's calls to its own server carry (the --host it listens on). */
export const JOB_CALLBACK_HOST = "0.0.0.0";

/** components/image: the Dockerfile, requirements.txt and entrypoint of the server image. */
export const IMAGE_CONTEXT = path.join(__dirname, "image");
/** Where the image keeps the entrypoint (see components/image/Dockerfile). */
export const ENTRYPOINT_IN_IMAGE = "/opt/mlflow-deploy/entrypoint.py";

export type ImageSource =
    | { kind: "prebuilt"; ref: string }
    | { kind: "build"; context: string; dockerfile: string; args: Record<string, string>; tag: string };

/** What the platform contributes: where it listens and the names it is reached by. */
export interface PlatformFacts {
    /** Port inside the container/process. */
    listenPort: number;
    /** Host names (optionally host:port) clients use to reach the server; may be resource outputs. */
    servedHosts: Value[];
    /** Browser origins of the UI (scheme://host[:port]); may be resource outputs. */
    servedOrigins: Value[];
    /**
     * Behind a load balancer: how long the server keeps an idle connection open. It must be
     * longer than the balancer's idle timeout, or the balancer reuses a connection the server
     * just closed and answers 502.
     */
    keepAliveSeconds?: number;
    /** The URL users open (scheme://host[:port]): single sign-on's redirect URI starts with it. */
    publicOrigin: Value;
    /** Whether users reach the server over HTTPS (session cookies are then Secure). */
    https: boolean;
}

export { AuthSecrets, SsoSecrets };

export interface ServerContract {
    image: ImageSource;
    /** Arguments of `mlflow server`, as given to the image's entrypoint. Never a secret. */
    args: Value[];
    env: Record<string, Value>;
    /** Each must reach the server through the platform's secret store, never plainly. */
    secretEnv: Record<string, Value>;
    port: number;
    healthPath: string;
    /** The server may run as several replicas. */
    replicable: boolean;
}

export interface ContractInput {
    spec: DeploymentSpec;
    backend: BackendStoreContract;
    artifacts: ArtifactStoreContract;
    platform: PlatformFacts;
    /** Required when spec.auth.enabled. */
    auth?: AuthSecrets;
    /** Required when spec.auth.sso is set. */
    sso?: SsoSecrets;
    /** Which part of mlflow:jobRunner "dedicated" this server plays; "server" otherwise. */
    role?: ServerRole;
}

export function imageSource(spec: DeploymentSpec): ImageSource {
    if (spec.image) {
        return { kind: "prebuilt", ref: spec.image };
    }
    return {
        kind: "build",
        context: IMAGE_CONTEXT,
        dockerfile: path.join(IMAGE_CONTEXT, "Dockerfile"),
        // The single sign-on app only where it is used (it needs MLflow 3.16 or newer).
        args: { MLFLOW_BASE_IMAGE, MLFLOW_VERSION: spec.mlflowVersion, POSTGRES_IMAGE, ...(spec.auth.sso ? { SSO: "true" } : {}) },
        // The tag changes with any file of the build context, so each build keeps a tag of its
        // own; the Docker platform runs the built image by ID.
        tag: `${spec.namePrefix}-server:${spec.mlflowVersion}-${imageContextHash()}${spec.auth.sso ? "-sso" : ""}`,
    };
}

/** Names in the build context that never reach the image (components/image/.dockerignore). */
const NOT_IN_CONTEXT = new Set(["__pycache__", ".dockerignore"]);

/** Every file of the build context, as paths relative to it, sorted. */
export function imageContextFiles(dir: string = IMAGE_CONTEXT, prefix = ""): string[] {
    const files: string[] = [];
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (NOT_IN_CONTEXT.has(entry.name) || entry.name.endsWith(".pyc")) {
            continue;
        }
        const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
            files.push(...imageContextFiles(path.join(dir, entry.name), rel));
        } else if (entry.isFile()) {
            files.push(rel);
        }
    }
    return files.sort();
}

/** First 12 hex digits of the SHA-256 of every file the image is built from (names and bytes). */
export function imageContextHash(dir: string = IMAGE_CONTEXT): string {
    const hash = crypto.createHash("sha256");
    for (const file of imageContextFiles(dir)) {
        hash.update(file).update("\0").update(fs.readFileSync(path.join(dir, file))).update("\0");
    }
    return hash.digest("hex").slice(0, 12);
}

/**
 * Each host as MLflow's Host check needs it: the bare name, and `name:*` because browsers and
 * clients send the port in the Host header whenever it is not 80/443.
 */
export function allowedHostPatterns(hosts: string[]): string[] {
    const out: string[] = [];
    for (const h of hosts) {
        out.push(h);
        if (!/:(\d+|\*)$/.test(h)) {
            out.push(`${h}:*`);
        }
    }
    return [...new Set(out)];
}

export function buildServerContract(input: ContractInput): ServerContract {
    const { spec, backend, artifacts, platform } = input;
    if (spec.auth.enabled && !input.auth) {
        throw new Error("auth is enabled but no admin password / Flask secret key was given to the contract");
    }
    if (spec.auth.sso && !input.sso) {
        throw new Error("single sign-on is configured but no client secret / session key was given to the contract");
    }

    // MLflow's job runner calls its own server back at http://<--host>:<port>, i.e. 0.0.0.0.
    const runsJobs = spec.jobRunner === "on" || input.role === "job-runner";
    const selfHosts = runsJobs ? [JOB_CALLBACK_HOST] : [];
    const hosts = combine([...platform.servedHosts, ...spec.allowedHosts, ...selfHosts], (all) => allowedHostPatterns(all).join(","));
    const originList = [...platform.servedOrigins, ...spec.corsAllowedOrigins];

    const args: Value[] = [
        "--host", "0.0.0.0",
        "--port", String(platform.listenPort),
        // The dedicated job runner serves only its own jobs' calls: one worker.
        "--workers", String(input.role === "job-runner" ? 1 : spec.workers),
        "--serve-artifacts",
        "--artifacts-destination", artifacts.destination,
        "--allowed-hosts", hosts,
    ];
    if (originList.length > 0) {
        args.push("--cors-allowed-origins", combine(originList, (all) => [...new Set(all)].join(",")));
    }
    if (platform.keepAliveSeconds !== undefined) {
        // One token: click would otherwise read "--timeout-keep-alive" as an option of its own.
        args.push(`--uvicorn-opts=--timeout-keep-alive ${platform.keepAliveSeconds}`);
    }

    const env: Record<string, Value> = {
        ...spec.extraEnv,
        ...artifacts.env,
        ...jobRunnerEnv(spec.jobRunner, input.role ?? "server"),
        MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: String(spec.dbPool.size),
        MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW: String(spec.dbPool.maxOverflow),
    };
    const secretEnv: Record<string, Value> = {
        ...artifacts.secretEnv,
        // Read by `mlflow server` itself (click envvar), so the URI never shows on a command line.
        MLFLOW_BACKEND_STORE_URI: backend.uri,
    };

    const auth = spec.auth.sso && input.sso
        ? ssoContract(spec.auth, spec.auth.sso, input.sso, backend, platform.publicOrigin, platform.https)
        : spec.auth.enabled && input.auth
          ? basicAuthContract(spec.auth, input.auth, backend)
          : undefined;
    if (auth) {
        args.push(...auth.args);
        Object.assign(env, auth.env);
        Object.assign(secretEnv, auth.secretEnv);
    }

    args.push(...spec.extraArgs);

    return {
        image: imageSource(spec),
        args,
        env,
        secretEnv,
        port: platform.listenPort,
        healthPath: HEALTH_PATH,
        replicable: !backend.singleReplica,
    };
}
