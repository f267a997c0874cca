// Docker: SQLite or a PostgreSQL container (or an external server), any artifact store, one
// server container on a local or remote Docker host (and a job-runner container beside it with
// mlflow:jobRunner "dedicated").
import * as pulumi from "@pulumi/pulumi";
import { createArtifactStore } from "../../artifacts/select";
import { ExternalPostgresBackend } from "../../backend/externalPostgres";
import { PostgresContainerBackend } from "../../backend/postgresContainer";
import { SqliteBackend } from "../../backend/sqlite";
import { buildServerContract } from "../../contract";
import { schedulerContract } from "../../opsContract";
import { BackendStoreContract } from "../../stores/types";
import { PlatformContext, PlatformResult } from "../types";
import { DockerPlatform, dockerFoundation, dockerPlatformFacts } from "./platform";

export function deployOnDocker(ctx: PlatformContext): PlatformResult {
    const { name, spec, secrets, parent } = ctx;
    const foundation = dockerFoundation(spec, name, parent);
    const dependsOn: pulumi.Resource[] = [];

    let backend: BackendStoreContract;
    switch (spec.backend.type) {
        case "sqlite":
            backend = new SqliteBackend(`${name}-backend`, { spec: spec.backend }, { parent }).contract;
            break;
        case "postgres":
            if (spec.backend.mode === "external") {
                backend = new ExternalPostgresBackend(`${name}-backend`, { spec: spec.backend, url: secrets.postgresUrl! }, { parent }).contract;
            } else {
                const pg = new PostgresContainerBackend(
                    `${name}-backend`,
                    { spec: spec.backend, namePrefix: spec.namePrefix, networkName: foundation.network.name, password: secrets.dbPassword, protectData: spec.protectData },
                    { parent },
                );
                dependsOn.push(pg);
                backend = pg.contract;
            }
            break;
        default:
            // parseConfig refuses these first; this guards programmatic use of the component.
            throw new Error(`backend ${spec.backend.type} needs its cloud's platform, not docker`);
    }

    const artifacts = createArtifactStore(ctx).contract;
    const stores = { spec, backend, artifacts, platform: dockerPlatformFacts(spec), auth: ctx.auth, sso: ctx.sso };
    const dedicated = spec.jobRunner === "dedicated";
    const contract = buildServerContract({ ...stores, role: dedicated ? "web" : "server" });
    const jobRunner = dedicated ? buildServerContract({ ...stores, role: "job-runner" }) : undefined;
    const scheduler = schedulerContract({ spec, backend, artifacts });
    const platform = new DockerPlatform(`${name}-platform`, { spec, contract, jobRunner, scheduler, network: foundation.network, volume: foundation.volume, dependsOn }, { parent });
    const containers = pulumi
        .all([platform.container.name, platform.jobRunnerContainer?.name, platform.schedulerContainer?.name])
        .apply(([server, jobs, ops]) => JSON.stringify({ server, ...(jobs ? { jobs } : {}), ...(ops ? { ops } : {}) }));
    return { url: platform.url, contract, artifactDestination: pulumi.output(artifacts.destination), containers };
}
