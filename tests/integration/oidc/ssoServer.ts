// The MLflow server of the single sign-on test, built from the project's own contract: the
// stack config goes through parseConfig, the stores and the platform facts through
// buildServerContract, and the process runs the image's entrypoint like the Docker platform does.
import * as crypto from "crypto";
import { parseConfig } from "../../../components/config/parse";
import { buildServerContract, ServerContract } from "../../../components/contract";
import { localArtifactsContract, postgresBackendContract, sqliteBackendContract } from "../../../components/stores/contracts";
import { BackendSpec } from "../../../components/config/spec";
import { BackendStoreContract } from "../../../components/stores/types";
import { RunningServer, runContract } from "../server";
import { Postgres, psql, workDir } from "../services";

export interface SsoServerOptions {
    name: string;
    port: number;
    issuer: string;
    clientId: string;
    clientSecret: string;
    scopes: string[];
    allowedGroups: string[];
    adminGroups: string[];
    /** Absent: SQLite on the data volume. */
    postgres?: Postgres;
}

export interface SsoServer extends RunningServer {
    contract: ServerContract;
}

function backendFor(opts: SsoServerOptions, backend: BackendSpec): BackendStoreContract {
    if (backend.type === "sqlite") {
        return sqliteBackendContract(backend);
    }
    if (backend.type !== "postgres" || !opts.postgres) {
        throw new Error(`unexpected backend ${backend.type}`);
    }
    // What the PostgreSQL container does on first start: a login role owning the database.
    const password = crypto.randomBytes(12).toString("hex");
    psql(opts.postgres, `CREATE ROLE ${backend.user} LOGIN CREATEDB PASSWORD '${password}'`);
    psql(opts.postgres, `CREATE DATABASE ${backend.database} OWNER ${backend.user}`);
    return postgresBackendContract({ host: opts.postgres.host, port: opts.postgres.port, user: backend.user, password, database: backend.database, authDatabase: backend.authDatabase });
}

export function ssoServerContract(opts: SsoServerOptions): ServerContract {
    const origin = `http://127.0.0.1:${opts.port}`;
    const id = opts.name.replace(/[^a-z0-9]/g, "");
    const rawBackend = opts.postgres ? { type: "postgres", mode: "container", database: `mlflow_${id}`, authDatabase: `mlflow_${id}_auth`, user: `mlflow_${id}` } : "sqlite";
    const { spec } = parseConfig({
        project: "mlflow",
        stack: "dev",
        raw: {
            platform: "docker",
            port: opts.port,
            backend: rawBackend,
            artifacts: "local",
            auth: false,
            sso: { issuer: opts.issuer, clientId: opts.clientId, allowedGroups: opts.allowedGroups, adminGroups: opts.adminGroups, scopes: opts.scopes },
        },
        secretsSet: new Set(["ssoClientSecret"] as const),
    });
    if (spec.artifacts.type !== "local") {
        throw new Error("expected local artifacts");
    }
    return buildServerContract({
        spec,
        backend: backendFor(opts, spec.backend),
        artifacts: localArtifactsContract(spec.artifacts.path, spec.artifacts.prefix),
        platform: { listenPort: opts.port, servedHosts: ["127.0.0.1", "localhost"], servedOrigins: [origin], publicOrigin: origin, https: false },
        sso: { clientSecret: opts.clientSecret, sessionKey: crypto.randomBytes(32).toString("hex") },
    });
}

/** Starts the contract's server through the image's entrypoint; resolves once /health answers 200. */
export async function startSsoServer(opts: SsoServerOptions): Promise<SsoServer> {
    const contract = ssoServerContract(opts);
    const server = await runContract(opts.name, contract, { dataDir: workDir(`${opts.name}-data`) });
    return { ...server, contract };
}
