import { POSTGRES_CONTAINER_MAX_CONNECTIONS } from "../config/dbLimits";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PostgresBackendSpec } from "../config/spec";
import { dockerName } from "../naming";
import { postgresBackendContract } from "../stores/contracts";
import { BackendStoreContract, withSecretUris } from "../stores/types";
import { POSTGRES_IMAGE } from "../versions";

export const POSTGRES_PORT = 5432;
const PASSWORD_FILE = "/run/secrets/postgres-password";

export interface PostgresContainerBackendArgs {
    spec: PostgresBackendSpec;
    namePrefix: string;
    /** The Docker network MLflow and PostgreSQL share; PostgreSQL publishes no host port. */
    networkName: pulumi.Input<string>;
    /** `mlflow:dbPassword`; generated (and kept in state) when absent. */
    password?: pulumi.Output<string>;
    protectData: boolean;
}

/** A pinned PostgreSQL container beside MLflow on Docker, with its own named volume. */
export class PostgresContainerBackend extends pulumi.ComponentResource {
    readonly contract: BackendStoreContract;
    readonly uri: pulumi.Output<string>;
    readonly container: docker.Container;
    readonly volume: docker.Volume;
    readonly password: pulumi.Output<string>;

    constructor(name: string, args: PostgresContainerBackendArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:backend:PostgresContainer", name, {}, opts);
        const { spec, namePrefix } = args;

        this.password = pulumi.secret(
            args.password ?? new random.RandomPassword(`${name}-password`, { length: 32, special: true, overrideSpecial: "@:/?#%&!*-_ " }, { parent: this }).result,
        );
        const image = new docker.RemoteImage(`${name}-image`, { name: POSTGRES_IMAGE, keepLocally: true }, { parent: this });
        this.volume = new docker.Volume(
            `${name}-data`,
            { name: dockerName(namePrefix, "pgdata") },
            { parent: this, protect: args.protectData, retainOnDelete: args.protectData },
        );
        const containerName = dockerName(namePrefix, "postgres");
        this.container = new docker.Container(
            `${name}-server`,
            {
                name: containerName,
                image: image.imageId,
                restart: "unless-stopped",
                command: ["postgres", "-c", `max_connections=${POSTGRES_CONTAINER_MAX_CONNECTIONS}`],
                envs: [`POSTGRES_USER=${spec.user}`, `POSTGRES_DB=${spec.database}`, `POSTGRES_PASSWORD_FILE=${PASSWORD_FILE}`],
                // The password reaches PostgreSQL as a file, never as a plain environment variable.
                uploads: [{ file: PASSWORD_FILE, content: this.password, permissions: "0400", owner: "999", group: "999" }],
                volumes: [{ volumeName: this.volume.name, containerPath: "/var/lib/postgresql/data" }],
                networksAdvanced: [{ name: args.networkName, aliases: [containerName] }],
                healthcheck: {
                    tests: ["CMD-SHELL", `pg_isready -U ${spec.user} -d ${spec.database}`],
                    interval: "5s",
                    timeout: "5s",
                    retries: 10,
                    startPeriod: "10s",
                },
                wait: true,
                waitTimeout: 120,
            },
            { parent: this, deleteBeforeReplace: true },
        );

        const contract = postgresBackendContract({
            host: containerName,
            port: POSTGRES_PORT,
            user: spec.user,
            password: this.password,
            database: spec.database,
            authDatabase: spec.authDatabase,
        });
        this.contract = withSecretUris(contract);
        this.uri = this.contract.uri as pulumi.Output<string>;
        this.registerOutputs({ uri: this.uri, containerName: this.container.name, volume: this.volume.name });
    }
}
