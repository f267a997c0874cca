// `mlflow:azure` (platform azure) and `mlflow:backend` type azure-postgres -> typed settings. Pure.

import { Collector, parseSettings, PG_IDENT, PG_IDENT_TEXT, PlatformParseContext, stringField } from "./collector";

export const AZURE_FIELDS = ["location", "resourceGroup"];
export const AZURE_POSTGRES_FIELDS = ["type", "database", "authDatabase", "user"];

export interface AzureSpec {
    location: string;
    /** An existing resource group; absent: the program creates one. */
    resourceGroup?: string;
}

export interface AzurePostgresBackendSpec {
    type: "azure-postgres";
    database: string;
    authDatabase: string;
    user: string;
}

export function parseAzureSettings(c: Collector, value: unknown, ctx: PlatformParseContext, _backendType: string | undefined): AzureSpec | undefined {
    const obj = parseSettings(c, "azure", value, AZURE_FIELDS);
    if (!obj) {
        return undefined;
    }
    const location = stringField(c, "azure", obj, "location", /^[a-z0-9]+$/, "an Azure region such as westeurope", ctx.providerConfig["azure-native:location"]);
    if (location === undefined && obj.location === undefined) {
        c.add("azure.location", "is not set, nor azure-native:location", "an Azure region such as westeurope", `pulumi config set azure-native:location westeurope --stack ${ctx.stack}`);
    }
    const resourceGroup = stringField(c, "azure", obj, "resourceGroup", /^[A-Za-z0-9._()-]{1,90}$/, "an existing resource group name, or unset to create one");
    return location ? { location, resourceGroup } : undefined;
}

export function parseAzurePostgresBackend(c: Collector, obj: Record<string, unknown>, _ctx: PlatformParseContext): AzurePostgresBackendSpec | undefined {
    const database = stringField(c, "backend", obj, "database", PG_IDENT, PG_IDENT_TEXT, "mlflow");
    const authDatabase = stringField(c, "backend", obj, "authDatabase", PG_IDENT, PG_IDENT_TEXT, "mlflow_auth");
    const user = stringField(c, "backend", obj, "user", PG_IDENT, PG_IDENT_TEXT, "mlflow");
    if (!database || !authDatabase || !user) {
        return undefined;
    }
    return { type: "azure-postgres", database, authDatabase, user };
}
