import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORT, ENTRYPOINT_IN_IMAGE, PlatformFacts, ServerContract } from "../../contract";
import { DATA_MOUNT, DeploymentSpec } from "../../config/spec";
import { dockerName } from "../../naming";
import { BACKUP_MOUNT, JobContract } from "../../opsContract";
import { Value } from "../../stores/types";

/** Where secrets are mounted as files; the entrypoint turns each into an environment variable. */
export const SECRETS_DIR = "/run/secrets/mlflow";

/** Host names and origins the Docker platform serves: pure, so the contract can be built first. */
export function dockerPlatformFacts(spec: DeploymentSpec): PlatformFacts {
    const hosts = [spec.publicHost, "localhost", "127.0.0.1", dockerName(spec.namePrefix, "server")];
    const origin = `http://${spec.publicHost}:${spec.port}`;
    return { listenPort: CONTAINER_PORT, servedHosts: [...new Set(hosts)], servedOrigins: [origin], publicOrigin: origin, https: false };
}

export interface DockerPlatformArgs {
    spec: DeploymentSpec;
    contract: ServerContract;
    /** The network the server shares with its stores (PostgreSQL container). */
    network: docker.Network;
    /** The named volume mounted at DATA_MOUNT: SQLite and local artifacts live there. */
    volume: docker.Volume;
    /** Resources the server container must wait for (a database container). */
    dependsOn?: pulumi.Resource[];
    /** mlflow:jobRunner "dedicated": the contract of the job-runner instance. */
    jobRunner?: ServerContract;
    /** The scheduled jobs (mlflow:gc, mlflow:backup): run by one scheduler container. */
    scheduler?: JobContract;
}

/** What one container of the stack runs: the server's contract, or a job's. */
interface ContainerRun {
    args: Value[];
    env: Record<string, Value>;
    secretEnv: Record<string, Value>;
}

/**
 * Runs the server contract as one container on a local or remote Docker host (`docker:host`),
 * plus, with mlflow:jobRunner "dedicated", a job-runner container from the same image.
 */
export class DockerPlatform extends pulumi.ComponentResource {
    readonly url: pulumi.Output<string>;
    readonly container: docker.Container;
    /** mlflow:jobRunner "dedicated": the job-runner container beside the server. */
    readonly jobRunnerContainer?: docker.Container;
    /** The container that runs gc and backups on their schedules. */
    readonly schedulerContainer?: docker.Container;
    readonly imageRef: pulumi.Output<string>;

    constructor(name: string, args: DockerPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:Docker", name, {}, opts);
        const { spec, contract } = args;

        if (contract.image.kind === "build") {
            const image = new docker.Image(
                `${name}-image`,
                {
                    imageName: contract.image.tag,
                    skipPush: true,
                    build: { context: contract.image.context, dockerfile: contract.image.dockerfile, args: contract.image.args },
                },
                { parent: this },
            );
            // The built image's ID, not its tag: any rebuild (a changed file of the build context)
            // gives a new ID and so replaces the container, and the provider reads the ID back.
            this.imageRef = image.repoDigest;
        } else {
            const image = new docker.RemoteImage(`${name}-image`, { name: contract.image.ref, keepLocally: true }, { parent: this });
            this.imageRef = image.imageId;
        }

        this.container = this.serverContainer(name, "server", contract, args, true);
        if (args.jobRunner) {
            // mlflow:jobRunner "dedicated": the one instance that runs the jobs (not published).
            this.jobRunnerContainer = this.serverContainer(name, "jobs", args.jobRunner, args, false);
        }
        if (args.scheduler) {
            this.schedulerContainer = this.schedulerContainerFor(name, args.scheduler, args);
        }

        this.url = pulumi.output(`http://${spec.publicHost}:${spec.port}`);
        this.registerOutputs({ url: this.url, containerName: this.container.name });
    }

    /**
     * The scheduler: gc and backups on their schedules, from the server image, with the same
     * volume, network and secrets. Unhealthy while the last run of a job failed.
     */
    private schedulerContainerFor(name: string, job: JobContract, args: DockerPlatformArgs): docker.Container {
        const { spec } = args;
        const containerName = dockerName(spec.namePrefix, "ops");
        const backup = spec.ops.backup;
        const volumes: docker.types.input.ContainerVolume[] = [{ volumeName: args.volume.name, containerPath: DATA_MOUNT }];
        if (backup?.destinationKind === "directory") {
            volumes.push({ hostPath: backup.destination, containerPath: BACKUP_MOUNT });
        }
        return new docker.Container(
            `${name}-ops`,
            {
                name: containerName,
                image: this.imageRef,
                command: job.args,
                ...runEnvironment(job),
                volumes,
                networksAdvanced: [{ name: args.network.name, aliases: [containerName] }],
                restart: "unless-stopped",
                healthcheck: {
                    // Reads a status file: cheap enough to check often, so `up` waits seconds, not a minute.
                    tests: ["CMD", "python", ENTRYPOINT_IN_IMAGE, "--ops-health"],
                    interval: "5s",
                    timeout: "5s",
                    retries: 1,
                    startPeriod: "10s",
                },
                wait: true,
                waitTimeout: 120,
            },
            // After the server: it has created the databases' schema the jobs read.
            { parent: this, dependsOn: [this.container], deleteBeforeReplace: true },
        );
    }

    private serverContainer(name: string, role: string, contract: ServerContract, args: DockerPlatformArgs, publish: boolean): docker.Container {
        const { spec } = args;
        const containerName = dockerName(spec.namePrefix, role);
        // A local Docker host serves on loopback only; a remote one on all its interfaces.
        const bindIp = spec.publicHost === "localhost" || spec.publicHost === "127.0.0.1" ? "127.0.0.1" : "0.0.0.0";
        return new docker.Container(
            `${name}-${role}`,
            {
                name: containerName,
                image: this.imageRef,
                command: contract.args,
                ...runEnvironment(contract),
                ports: publish ? [{ internal: contract.port, external: spec.port, ip: bindIp }] : [],
                volumes: [{ volumeName: args.volume.name, containerPath: DATA_MOUNT }],
                networksAdvanced: [{ name: args.network.name, aliases: [containerName] }],
                restart: "unless-stopped",
                healthcheck: {
                    tests: ["CMD", "python", ENTRYPOINT_IN_IMAGE, "--healthcheck", String(contract.port)],
                    interval: "15s",
                    timeout: "5s",
                    retries: 4,
                    // Durations in the provider's own normalised form ("1m0s", not "60s"): it
                    // reads them back that way, and any other spelling is a diff on every preview.
                    startPeriod: "1m0s",
                },
                wait: true,
                waitTimeout: 300,
            },
            { parent: this, dependsOn: args.dependsOn, deleteBeforeReplace: true },
        );
    }
}

/** Plain variables as the container's environment; secrets as files the entrypoint reads. */
function runEnvironment(run: ContainerRun): Pick<docker.ContainerArgs, "envs" | "uploads"> {
    const envs = Object.entries(run.env).map(([k, v]) => pulumi.interpolate`${k}=${v}`);
    envs.push(pulumi.output(`MLFLOW_SECRETS_DIR=${SECRETS_DIR}`));
    const uploads = Object.entries(run.secretEnv).map(([k, v]) => ({
        file: `${SECRETS_DIR}/${k}`,
        content: pulumi.secret(pulumi.output(v)),
        permissions: "0400",
    }));
    return { envs, uploads };
}

/** The network and data volume the Docker platform and the Docker-run stores share. */
export function dockerFoundation(spec: DeploymentSpec, name: string, parent: pulumi.Resource): { network: docker.Network; volume: docker.Volume } {
    const network = new docker.Network(`${name}-network`, { name: dockerName(spec.namePrefix, "net") }, { parent });
    const volume = new docker.Volume(
        `${name}-data`,
        { name: dockerName(spec.namePrefix, "data") },
        { parent, protect: spec.protectData, retainOnDelete: spec.protectData },
    );
    return { network, volume };
}
