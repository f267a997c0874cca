// mlflow:restore on Azure: what a Flexible Server point-in-time restore does not carry over from
// the stack's settings, applied through Azure Resource Manager once the restored server exists.
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";

/**
 * A short tag of the restore point, part of the restored server's name: another restore point is
 * another server beside the first (created before the first is deleted), never a name clash.
 */
export function restoreTag(source: string, time: string): string {
    return `r${crypto.createHash("sha256").update(`${source.toLowerCase()}@${time}`).digest("hex").slice(0, 6)}`;
}

/** The Flexible Server REST API version the settings are written with (GA). */
export const FLEXIBLE_SERVER_API_VERSION = "2024-08-01";

/** The stack's settings a restored server takes from its source instead. */
export interface RestoredServerSettings {
    /** The restored server's ARM id. */
    serverId: string;
    /** The program's administrator password: the restored server starts with the source's. */
    password: string;
    skuName: string;
    tier: string;
    storageGb: number;
    backupRetentionDays: number;
    /** A restored server always starts without high availability. */
    highAvailability: "ZoneRedundant" | "Disabled";
}

export interface SettingsInputs extends RestoredServerSettings {
    /** The deployer's Microsoft Entra token for Azure Resource Manager (valid about an hour). */
    token: string;
    apiVersion: string;
}

interface ServerState {
    sku?: { name?: string };
    properties?: { storage?: { storageSizeGB?: number }; backup?: { backupRetentionDays?: number }; highAvailability?: { mode?: string } };
}

/**
 * Reads the server, then PATCHes what differs in steps Azure accepts one at a time (password and
 * retention; compute and storage; high availability), each awaited to its end. Storage only
 * grows (auto-grow may have grown the source past mlflow:backend.storageGb). The password
 * cannot be read: it is written on the first run and whenever it or the server changes.
 * Self-contained (global fetch only): the dynamic provider serializes it into the state.
 */
export async function applySettings(
    news: SettingsInputs,
    olds?: Partial<RestoredServerSettings>,
    wait: (ms: number) => Promise<unknown> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<void> {
    const url = `https://management.azure.com${news.serverId}?api-version=${news.apiVersion}`;
    const auth = { Authorization: `Bearer ${news.token}` };
    const failure = async (what: string, response: Response) => {
        const error = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
        return new Error(`${what} of the restored server ${news.serverId} failed with HTTP ${response.status}: ${error.error?.code ?? ""} ${error.error?.message ?? ""}`.trim());
    };
    const read = await fetch(url, { headers: auth });
    if (!read.ok) throw await failure("reading", read);
    const current = (await read.json()) as ServerState;
    const storageGb = Math.max(news.storageGb, current.properties?.storage?.storageSizeGB ?? 0);
    const steps: Array<[string, boolean, unknown]> = [
        [
            "setting the administrator password and backup retention",
            olds?.serverId !== news.serverId || olds?.password !== news.password || current.properties?.backup?.backupRetentionDays !== news.backupRetentionDays,
            { properties: { administratorLoginPassword: news.password, backup: { backupRetentionDays: news.backupRetentionDays } } },
        ],
        [
            "scaling compute and storage",
            current.sku?.name !== news.skuName || current.properties?.storage?.storageSizeGB !== storageGb,
            { sku: { name: news.skuName, tier: news.tier }, properties: { storage: { storageSizeGB: storageGb, autoGrow: "Enabled" } } },
        ],
        [
            "setting high availability",
            (current.properties?.highAvailability?.mode ?? "Disabled") !== news.highAvailability,
            { properties: { highAvailability: { mode: news.highAvailability } } },
        ],
    ];
    for (const [what, needed, body] of steps) {
        if (!needed) continue;
        const response = await fetch(url, { method: "PATCH", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify(body) });
        if (!response.ok) throw await failure(what, response);
        const operation = response.headers.get("azure-asyncoperation");
        if (response.status === 202 && operation) {
            // Scaling and high availability run for minutes: poll every 15 s, up to an hour.
            let status = "InProgress";
            for (let i = 0; i < 240 && !["Succeeded", "Failed", "Canceled"].includes(status); i++) {
                await wait(15000);
                const poll = await fetch(operation, { headers: auth });
                status = poll.ok ? (((await poll.json()) as { status?: string }).status ?? status) : status;
            }
            if (status !== "Succeeded") {
                throw new Error(`${what} of the restored server ${news.serverId} ended ${status === "InProgress" ? "unfinished after an hour" : status}: see its activity log`);
            }
        }
    }
}

function outputs(inputs: SettingsInputs): RestoredServerSettings {
    const { token: _token, apiVersion: _apiVersion, ...settings } = inputs;
    return settings;
}

export const settingsProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: SettingsInputs) {
        await applySettings(inputs);
        return { id: `${inputs.serverId}/restored-settings`, outs: outputs(inputs) };
    },
    // The token differs on every run and changes nothing by itself.
    async diff(_id: string, olds: RestoredServerSettings, news: SettingsInputs) {
        const keys: Array<keyof RestoredServerSettings> = ["serverId", "password", "skuName", "tier", "storageGb", "backupRetentionDays", "highAvailability"];
        return { changes: keys.some((k) => olds[k] !== news[k]) };
    },
    async update(_id: string, olds: RestoredServerSettings, news: SettingsInputs) {
        await applySettings(news, olds);
        return { outs: outputs(news) };
    },
};

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/**
 * The restored server's administrator password (the program's, so the URIs in Key Vault work),
 * backup retention, compute and storage size and high availability, as the stack configures them.
 * Deleting it changes nothing on the server.
 */
export class RestoredServerSettingsResource extends pulumi.dynamic.Resource {
    declare readonly serverId: pulumi.Output<string>;

    constructor(name: string, args: Inputs<RestoredServerSettings> & { token: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
        super(
            settingsProvider,
            name,
            { ...args, apiVersion: FLEXIBLE_SERVER_API_VERSION, password: pulumi.secret(args.password), token: pulumi.secret(args.token) },
            { ...opts, additionalSecretOutputs: ["password", "token"] },
            "mlflow",
            "AzurePostgresRestoredSettings",
        );
    }
}
