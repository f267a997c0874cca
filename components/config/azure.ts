// `mlflow:azure` (platform azure) and `mlflow:backend` type azure-postgres -> typed settings. Pure.

import { checkMemory, withHeadroom } from "./footprint";
import { boolField, choiceField, Collector, intField, parseSettings, PG_IDENT, PG_IDENT_TEXT, PlatformParseContext, stringField } from "./collector";

export const AZURE_FIELDS = [
    "location",
    "resourceGroup",
    "vnetCidr",
    "cpu",
    "memory",
    "minReplicas",
    "maxReplicas",
    "concurrentRequests",
    "zoneRedundant",
    "logRetentionDays",
    "customDomain",
    "bindCustomDomain",
];
export const AZURE_POSTGRES_FIELDS = [
    "type",
    "database",
    "authDatabase",
    "user",
    "skuName",
    "tier",
    "storageGb",
    "backupRetentionDays",
    "geoRedundantBackup",
    "highAvailability",
];

/** The PostgreSQL major version of the Flexible Server, pinned here (changing it is an upgrade). */
export const AZURE_POSTGRES_VERSION = "17";

/** CPU (cores) -> memory a Container Apps Consumption replica may have: always 2 GiB per core. */
export const CONTAINER_APPS_CPU = ["0.25", "0.5", "0.75", "1", "1.25", "1.5", "1.75", "2", "2.5", "3", "3.5", "4"] as const;

/** Storage sizes (GiB) a Flexible Server accepts. */
export const AZURE_POSTGRES_STORAGE_GB = [32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32767];

export const AZURE_POSTGRES_TIERS = ["Burstable", "GeneralPurpose", "MemoryOptimized"] as const;
export type AzurePostgresTier = (typeof AZURE_POSTGRES_TIERS)[number];

/** Role names a Flexible Server refuses as its administrator login. */
export const AZURE_POSTGRES_RESERVED_USERS = ["azure_superuser", "azure_pg_admin", "admin", "administrator", "root", "guest", "public", "postgres"];

export interface AzureNetworkSpec {
    /** A /16 for the created virtual network: the Container Apps subnet is its first /23, the database subnet the /24 after it. */
    vnetCidr: string;
    appsSubnetCidr: string;
    databaseSubnetCidr: string;
}

export interface AzureSpec {
    location: string;
    /** An existing resource group; absent: the program creates one. */
    resourceGroup?: string;
    network: AzureNetworkSpec;
    /** vCPU cores of one replica, as Container Apps writes them ("0.5", "1"...). */
    cpu: string;
    /** Memory of one replica ("2Gi"): 2 GiB per core on the Consumption profile. */
    memory: string;
    minReplicas: number;
    maxReplicas: number;
    /** Concurrent HTTP requests per replica before the HTTP scale rule adds one. */
    concurrentRequests: number;
    /** Spread the Container Apps environment over availability zones (set at creation). */
    zoneRedundant: boolean;
    logRetentionDays: number;
    /** A custom host name served with a Container Apps managed certificate. */
    customDomain?: string;
    /** Second step for customDomain: bind the managed certificate (SNI) once it is issued. */
    bindCustomDomain: boolean;
}

export interface AzurePostgresBackendSpec {
    type: "azure-postgres";
    database: string;
    authDatabase: string;
    user: string;
    /** Compute size, e.g. Standard_B1ms (Burstable), Standard_D2ds_v5 (GeneralPurpose). */
    skuName: string;
    tier: AzurePostgresTier;
    storageGb: number;
    backupRetentionDays: number;
    /** Geo-redundant backups (chosen at creation; needs a region with a pair). */
    geoRedundantBackup: boolean;
    /** Zone-redundant high availability: a standby in another zone (not on Burstable). */
    highAvailability: boolean;
    /** The pinned PostgreSQL major version. */
    version: string;
}

const CIDR16 = /^(\d{1,3})\.(\d{1,3})\.0\.0\/16$/;
const DOMAIN = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/;

/** `10.42.0.0/16` -> the apps subnet 10.42.0.0/23 and the database subnet 10.42.2.0/24. */
export function azureSubnets(vnetCidr: string): AzureNetworkSpec {
    const m = CIDR16.exec(vnetCidr);
    if (!m) {
        throw new Error(`expected an a.b.0.0/16 block, got ${vnetCidr}`);
    }
    return { vnetCidr, appsSubnetCidr: `${m[1]}.${m[2]}.0.0/23`, databaseSubnetCidr: `${m[1]}.${m[2]}.2.0/24` };
}

/** The smallest Container Apps CPU size, from `atLeast` up, whose memory (2 GiB per core) has 30% headroom over the footprint. */
export function defaultContainerAppsCpu(atLeast: string, footprint: number | undefined): string {
    const need = footprint === undefined ? 0 : withHeadroom(footprint, 1);
    const sizes = CONTAINER_APPS_CPU.filter((cpu) => Number(cpu) >= Number(atLeast));
    return sizes.find((cpu) => Number(cpu) * 2048 >= need) ?? sizes[sizes.length - 1] ?? atLeast;
}

/** The tier a Flexible Server SKU name belongs to, or undefined when the name does not tell. */
export function tierOfSku(skuName: string): AzurePostgresTier | undefined {
    if (/^Standard_B\d/.test(skuName)) return "Burstable";
    if (/^Standard_D\d+[a-z]*s_v\d$/.test(skuName)) return "GeneralPurpose";
    if (/^Standard_E\d+[a-z]*s_v\d$/.test(skuName)) return "MemoryOptimized";
    return undefined;
}

export function parseAzureSettings(c: Collector, value: unknown, ctx: PlatformParseContext, _backendType: string | undefined): AzureSpec | undefined {
    const obj = parseSettings(c, "azure", value, AZURE_FIELDS);
    if (!obj) {
        return undefined;
    }
    const k = "azure";
    const location = stringField(c, k, obj, "location", /^[a-z0-9]+$/, "an Azure region such as westeurope", ctx.providerConfig["azure-native:location"]);
    if (location === undefined && obj.location === undefined) {
        c.add("azure.location", "is not set, nor azure-native:location", "an Azure region such as westeurope", `pulumi config set azure-native:location westeurope --stack ${ctx.stack}`);
    }
    const resourceGroup = stringField(c, k, obj, "resourceGroup", /^[A-Za-z0-9._()-]{1,90}$/, "an existing resource group name, or unset to create one");
    const vnetCidr = stringField(c, k, obj, "vnetCidr", CIDR16, "a private /16 such as 10.42.0.0/16 (apps subnet: its first /23, database subnet: the /24 after it)", "10.42.0.0/16");
    if (vnetCidr !== undefined) {
        const [a, b] = vnetCidr.split(".").map(Number);
        const isPrivate = a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
        if (!isPrivate || b > 255) {
            c.add("azure.vnetCidr", `got ${vnetCidr}`, "a private (RFC 1918) /16: 10.x.0.0/16, 172.16-31.0.0/16 or 192.168.0.0/16", c.set("azure.vnetCidr", "10.42.0.0/16"));
        }
    }
    // YAML gives `cpu: 1` as a number; Container Apps writes cores as text.
    const cpu = choiceField(c, k, { cpu: typeof obj.cpu === "number" ? String(obj.cpu) : obj.cpu }, "cpu", CONTAINER_APPS_CPU, defaultContainerAppsCpu(ctx.production ? "1" : "0.5", ctx.server?.footprintMiB));
    const memoryFallback = cpu ? `${Number(cpu) * 2}Gi` : undefined;
    const memory = stringField(c, k, obj, "memory", /^\d+(\.\d+)?Gi$/, "memory in Gi, 2 GiB per core, e.g. 2Gi for cpu 1", memoryFallback);
    if (cpu && memory && memory !== memoryFallback) {
        c.add("azure.memory", `${memory} does not fit cpu ${cpu}`, `${memoryFallback} (Container Apps Consumption gives 2 GiB per core)`, c.set("azure.memory", memoryFallback!));
    } else if (cpu && ctx.server) {
        const fit = defaultContainerAppsCpu(cpu, ctx.server.footprintMiB);
        checkMemory(c, { key: "azure.cpu", givenMiB: Number(cpu) * 2048, footprintMiB: ctx.server.footprintMiB, fixKey: "azure.cpu", fixValue: fit, running: `${ctx.server.running}; memory is 2 GiB per core` });
    }
    // staging may scale to zero (the first request after idle waits for a cold start); prod keeps two.
    const minReplicas = intField(c, k, obj, "minReplicas", 0, 300, ctx.production ? 2 : 0, "replicas; 0 scales to zero when idle");
    // Non-prod runs on Standard_B1ms, which accepts 35 connections: one replica leaves each of
    // its engines a pool of 8 (components/config/connections.ts); two would leave 4.
    const maxReplicas = intField(c, k, obj, "maxReplicas", 1, 300, ctx.production ? 4 : 1, "replicas");
    const concurrentRequests = intField(c, k, obj, "concurrentRequests", 1, 1000, 50, "concurrent requests per replica before scaling out");
    const zoneRedundant = boolField(c, k, obj, "zoneRedundant", ctx.production);
    const logRetentionDays = intField(c, k, obj, "logRetentionDays", 30, 730, ctx.production ? 90 : 30, "days");
    const customDomain = stringField(c, k, obj, "customDomain", DOMAIN, "a fully qualified lower-case host name such as mlflow.example.com");
    const bindCustomDomain = boolField(c, k, obj, "bindCustomDomain", false);

    if (minReplicas !== undefined && maxReplicas !== undefined && minReplicas > maxReplicas) {
        c.add("azure.maxReplicas", `${maxReplicas} is below minReplicas ${minReplicas}`, "maxReplicas >= minReplicas", c.set("azure.maxReplicas", String(Math.max(minReplicas, 1))));
    }
    if (ctx.production && minReplicas === 0) {
        c.warnings.push(`mlflow:azure.minReplicas is 0 on ${ctx.stack}: the server scales to zero when idle and the first request waits for a cold start.`);
    }
    if (bindCustomDomain && customDomain === undefined) {
        c.add("azure.bindCustomDomain", "is true, but azure.customDomain is not set", "azure.customDomain first (the host name to bind), then bindCustomDomain true once its managed certificate is issued", c.set("azure.customDomain", "mlflow.example.com"));
    }

    const values = [location, vnetCidr, cpu, memory, minReplicas, maxReplicas, concurrentRequests, zoneRedundant, logRetentionDays, bindCustomDomain];
    if (values.some((v) => v === undefined) || (obj.resourceGroup !== undefined && !resourceGroup) || (obj.customDomain !== undefined && !customDomain)) {
        return undefined;
    }
    return {
        location: location!,
        resourceGroup,
        network: azureSubnets(vnetCidr!),
        cpu: cpu!,
        memory: memory!,
        minReplicas: minReplicas!,
        maxReplicas: maxReplicas!,
        concurrentRequests: concurrentRequests!,
        zoneRedundant: zoneRedundant!,
        logRetentionDays: logRetentionDays!,
        customDomain,
        bindCustomDomain: bindCustomDomain!,
    };
}

export function parseAzurePostgresBackend(c: Collector, obj: Record<string, unknown>, ctx: PlatformParseContext): AzurePostgresBackendSpec | undefined {
    const k = "backend";
    const database = stringField(c, k, obj, "database", PG_IDENT, PG_IDENT_TEXT, "mlflow");
    const authDatabase = stringField(c, k, obj, "authDatabase", PG_IDENT, PG_IDENT_TEXT, "mlflow_auth");
    const user = stringField(c, k, obj, "user", PG_IDENT, PG_IDENT_TEXT, "mlflow");
    const skuName = stringField(
        c,
        k,
        obj,
        "skuName",
        /^Standard_[A-Z]\d+[a-z_0-9]*$/,
        "a Flexible Server compute size such as Standard_B1ms (Burstable), Standard_D2ds_v5 (GeneralPurpose), Standard_E2ds_v5 (MemoryOptimized)",
        ctx.production ? "Standard_D2ds_v5" : "Standard_B1ms",
    );
    const tierGuess = skuName ? tierOfSku(skuName) : undefined;
    const tier = obj.tier !== undefined || tierGuess === undefined ? choiceField(c, k, obj, "tier", AZURE_POSTGRES_TIERS, tierGuess ?? "GeneralPurpose") : tierGuess;
    const storageGb = intField(c, k, obj, "storageGb", 32, 32767, 32, "GiB");
    const backupRetentionDays = intField(c, k, obj, "backupRetentionDays", 7, 35, ctx.production ? 14 : 7, "days");
    const geoRedundantBackup = boolField(c, k, obj, "geoRedundantBackup", ctx.production);
    const highAvailability = boolField(c, k, obj, "highAvailability", ctx.production);

    if (storageGb !== undefined && !AZURE_POSTGRES_STORAGE_GB.includes(storageGb)) {
        c.add("backend.storageGb", `got ${storageGb}`, `a Flexible Server storage size: ${AZURE_POSTGRES_STORAGE_GB.join(", ")} GiB`, c.set("backend.storageGb", "32"));
    }
    if (skuName && tier && tierGuess && tier !== tierGuess) {
        c.add("backend.tier", `${tier} does not match skuName ${skuName}`, `${tierGuess} for ${skuName}`, c.set("backend.tier", tierGuess));
    }
    if (highAvailability && tier === "Burstable") {
        c.add(
            "backend.highAvailability",
            `is true with the Burstable size ${skuName}`,
            "a GeneralPurpose or MemoryOptimized size (Burstable has no high availability), or highAvailability false",
            c.set("backend.skuName", "Standard_D2ds_v5"),
        );
    }
    if (ctx.production && backupRetentionDays !== undefined && backupRetentionDays < 14) {
        c.add("backend.backupRetentionDays", `${backupRetentionDays} days on ${ctx.stack}`, "14 to 35 days on prod", c.set("backend.backupRetentionDays", "14"));
    }
    if (user !== undefined && (AZURE_POSTGRES_RESERVED_USERS.includes(user) || user.startsWith("pg_"))) {
        c.add("backend.user", `${user} is reserved by Azure Database for PostgreSQL`, "another role name, e.g. mlflow (not admin, administrator, root, guest, public, postgres, azure_*, pg_*)", c.set("backend.user", "mlflow"));
    }
    if (database !== undefined && database === authDatabase) {
        c.add("backend.authDatabase", `is the same database as backend.database (${database})`, "a separate database for the basic-auth app", c.set("backend.authDatabase", `${database}_auth`));
    }
    const values = [database, authDatabase, user, skuName, tier, storageGb, backupRetentionDays, geoRedundantBackup, highAvailability];
    if (values.some((v) => v === undefined)) {
        return undefined;
    }
    return {
        type: "azure-postgres",
        database: database!,
        authDatabase: authDatabase!,
        user: user!,
        skuName: skuName!,
        tier: tier!,
        storageGb: storageGb!,
        backupRetentionDays: backupRetentionDays!,
        geoRedundantBackup: geoRedundantBackup!,
        highAvailability: highAvailability!,
        version: AZURE_POSTGRES_VERSION,
    };
}
