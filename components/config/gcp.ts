// `mlflow:gcp` (platform gcp) and `mlflow:backend` type cloudsql -> typed settings. Pure.

import { Collector, parseSettings, PG_IDENT, PG_IDENT_TEXT, PlatformParseContext, stringField } from "./collector";

export const GCP_FIELDS = ["project", "region"];
export const CLOUDSQL_FIELDS = ["type", "database", "authDatabase", "user"];

export interface GcpSpec {
    project: string;
    region: string;
}

export interface CloudSqlBackendSpec {
    type: "cloudsql";
    database: string;
    authDatabase: string;
    user: string;
}

export function parseGcpSettings(c: Collector, value: unknown, ctx: PlatformParseContext, _backendType: string | undefined): GcpSpec | undefined {
    const obj = parseSettings(c, "gcp", value, GCP_FIELDS);
    if (!obj) {
        return undefined;
    }
    const project = stringField(c, "gcp", obj, "project", /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "a GCP project id", ctx.providerConfig["gcp:project"]);
    const region = stringField(c, "gcp", obj, "region", /^[a-z]+-[a-z]+\d+$/, "a GCP region such as europe-west1", ctx.providerConfig["gcp:region"]);
    if (project === undefined && obj.project === undefined) {
        c.add("gcp.project", "is not set, nor gcp:project", "the id of the GCP project to deploy into", `pulumi config set gcp:project my-project --stack ${ctx.stack}`);
    }
    if (region === undefined && obj.region === undefined) {
        c.add("gcp.region", "is not set, nor gcp:region", "a GCP region such as europe-west1", `pulumi config set gcp:region europe-west1 --stack ${ctx.stack}`);
    }
    return project && region ? { project, region } : undefined;
}

export function parseCloudSqlBackend(c: Collector, obj: Record<string, unknown>, _ctx: PlatformParseContext): CloudSqlBackendSpec | undefined {
    const database = stringField(c, "backend", obj, "database", PG_IDENT, PG_IDENT_TEXT, "mlflow");
    const authDatabase = stringField(c, "backend", obj, "authDatabase", PG_IDENT, PG_IDENT_TEXT, "mlflow_auth");
    const user = stringField(c, "backend", obj, "user", PG_IDENT, PG_IDENT_TEXT, "mlflow");
    if (!database || !authDatabase || !user) {
        return undefined;
    }
    return { type: "cloudsql", database, authDatabase, user };
}
