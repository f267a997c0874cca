// Day-2 operations on Azure under mocks: the scheduled gc job, a point-in-time restore of the
// Flexible Server, and the alerts with where they are sent.
import * as assert from "assert";
import { containerAppsCron } from "../../components/platform/azure/facts";
import { applySettings, restoreTag, settingsProvider, SettingsInputs } from "../../components/platform/azure/postgresRestore";
import { allStrings, isSecretValue, plainStrings, ProgramRun, RegisteredResource, runProgram } from "./harness";

const ADMIN_PASSWORD = "TEST-admin-pw-Zq9x!";
const DB_PASSWORD = "generated mlflow-prod-backend-password p@ss:w/o?r#d%&";
const SOURCE = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/mlflow-prod-rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/mlflow-prod-pg-old12345";
const TARGET = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/ops/providers/microsoft.insights/actionGroups/oncall";

function azureConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        "mlflow:platform": "azure",
        "azure-native:location": "westeurope",
        "mlflow:backend": { type: "azure-postgres" },
        "mlflow:artifacts": { type: "azure-blob" },
        "mlflow:adminPassword": ADMIN_PASSWORD,
        ...extra,
    };
}

const run = (stack: string, extra: Record<string, unknown> = {}, secrets: string[] = []) => runProgram(stack, azureConfig(extra), ["mlflow:adminPassword", ...secrets]);

interface EnvVar { name: string; value?: string; secretRef?: string }
interface Container { image: string; args: string[]; env: EnvVar[]; resources: { cpu: number; memory: string } }

function gcJob(r: ProgramRun) {
    const job = r.one("azure-native:app:Job").inputs as {
        jobName: string;
        location: string;
        environmentId: string;
        workloadProfileName: string;
        identity: unknown;
        configuration: {
            triggerType: string;
            scheduleTriggerConfig: { cronExpression: string; parallelism: number; replicaCompletionCount: number };
            replicaTimeout: number;
            replicaRetryLimit: number;
            registries?: { server: string; identity: string }[];
            secrets: Record<string, unknown>[];
        };
        template: { containers: Container[] };
    };
    return { job, container: job.template.containers[0] };
}

function serverApp(r: ProgramRun) {
    const inputs = r.one("azure-native:app:ContainerApp").inputs as {
        managedEnvironmentId: string;
        identity: unknown;
        configuration: { registries?: unknown; secrets: Record<string, unknown>[] };
        template: { containers: Container[] };
    };
    return { inputs, container: inputs.template.containers[0] };
}

const envValue = (env: EnvVar[], name: string) => env.find((e) => e.name === name);

describe("azure ops: the scheduled gc job", function () {
    this.timeout(120000);
    let prod: ProgramRun;
    before(async () => {
        prod = await run("prod");
    });

    it("a Container Apps job on a UTC cron schedule (mlflow:gc default), one run at a time, bounded and retried once", () => {
        const { job } = gcJob(prod);
        assert.strictEqual(job.jobName, "mlflow-prod-gc");
        assert.strictEqual(job.location, "westeurope");
        assert.strictEqual(job.configuration.triggerType, "Schedule");
        assert.deepStrictEqual(job.configuration.scheduleTriggerConfig, { cronExpression: "0 4 * * *", parallelism: 1, replicaCompletionCount: 1 });
        assert.deepStrictEqual([job.configuration.replicaTimeout, job.configuration.replicaRetryLimit], [3600, 1]);
        assert.strictEqual(job.workloadProfileName, "Consumption");
    });

    it("runs the server's image with --gc, in the server's environment, as the server's identity, pulling from the same registry", () => {
        const { job, container } = gcJob(prod);
        const app = serverApp(prod);
        assert.strictEqual(job.environmentId, app.inputs.managedEnvironmentId);
        assert.strictEqual(job.environmentId, "mlflow-prod-environment-env-id");
        assert.strictEqual(container.image, app.container.image);
        assert.match(container.image, /\.azurecr\.io\/mlflow-prod-server@sha256:/);
        assert.deepStrictEqual(container.args, ["--gc"]);
        assert.deepStrictEqual(job.identity, { type: "UserAssigned", userAssignedIdentities: ["mlflow-prod-identity-identity-id"] });
        assert.deepStrictEqual(job.identity, app.inputs.identity);
        assert.deepStrictEqual(job.configuration.registries, app.inputs.configuration.registries);
        assert.deepStrictEqual(container.resources, { cpu: 0.5, memory: "1Gi" });
    });

    it("gets its plain env plainly (artifact destination, managed identity client id, older-than)", () => {
        const { container } = gcJob(prod);
        const app = serverApp(prod);
        assert.strictEqual(envValue(container.env, "MLFLOW_DEPLOY_GC_OLDER_THAN")?.value, "30d");
        assert.strictEqual(envValue(container.env, "MLFLOW_DEPLOY_ARTIFACTS_DESTINATION")?.value, prod.outputs.artifactDestination);
        const clientId = envValue(container.env, "AZURE_CLIENT_ID");
        assert.deepStrictEqual(clientId, { name: "AZURE_CLIENT_ID", value: "11111111-1111-4111-8111-111111111111" });
        assert.deepStrictEqual(clientId, envValue(app.container.env, "AZURE_CLIENT_ID"));
    });

    it("reads the database URI by Key Vault reference exactly as the server does, and only the secrets it needs", () => {
        const { job, container } = gcJob(prod);
        const app = serverApp(prod);
        const uri = envValue(container.env, "MLFLOW_BACKEND_STORE_URI");
        assert.deepStrictEqual(uri, { name: "MLFLOW_BACKEND_STORE_URI", secretRef: "mlflow-backend-store-uri" });
        assert.deepStrictEqual(uri, envValue(app.container.env, "MLFLOW_BACKEND_STORE_URI"));
        assert.deepStrictEqual(job.configuration.secrets, app.inputs.configuration.secrets.filter((s) => s.name === "mlflow-backend-store-uri"));
        const ref = job.configuration.secrets[0];
        assert.deepStrictEqual(Object.keys(ref).sort(), ["identity", "keyVaultUrl", "name"], "a Key Vault reference, never a value");
        assert.match(String(ref.keyVaultUrl), /^https:\/\/mlflow-prod-k3x9q2ab\.vault\.azure\.net\/secrets\/mlflow-backend-store-uri$/);
        assert.strictEqual(ref.identity, "mlflow-prod-identity-identity-id");
        // The server's other secrets (admin password, Flask key, auth database) stay out of the job.
        assert.deepStrictEqual(container.env.filter((e) => e.secretRef).map((e) => e.name), ["MLFLOW_BACKEND_STORE_URI"]);
        assert.strictEqual(envValue(container.env, "MLFLOW_DEPLOY_SECRET_VERSIONS")?.value, "0123456789abcdef0123456789abcdef");
    });

    it("no secret in the job's plain inputs, env or arguments", () => {
        const job = prod.one("azure-native:app:Job");
        const plain = plainStrings(job.inputs);
        for (const secret of [DB_PASSWORD, encodeURIComponent(DB_PASSWORD), ADMIN_PASSWORD, "postgresql"]) {
            assert.ok(!plain.some((p) => p.includes(secret)), `the job carries ${secret} in plain`);
        }
        for (const e of gcJob(prod).container.env.filter((x) => x.value !== undefined)) {
            assert.ok(!/PASSWORD|SECRET_KEY|_URI$|ACCESS_KEY|CONNECTION_STRING/.test(e.name), `${e.name} is a plain env var`);
        }
    });

    it("mlflow:gc sets the schedule and the age; mlflow:gc false makes no job", async () => {
        // Sunday given as 7 (allowed by mlflow:gc) reaches Container Apps as 0.
        const custom = await run("staging", { "mlflow:gc": { schedule: "30 2 * * 7", olderThan: "7d12h" } });
        const { job, container } = gcJob(custom);
        assert.strictEqual(job.configuration.scheduleTriggerConfig.cronExpression, "30 2 * * 0");
        assert.strictEqual(envValue(container.env, "MLFLOW_DEPLOY_GC_OLDER_THAN")?.value, "7d12h");
        assert.strictEqual(job.jobName, "mlflow-staging-gc");

        const off = await run("staging", { "mlflow:gc": false });
        assert.strictEqual(off.byType("azure-native:app:Job").length, 0);
        assert.strictEqual(off.byType("mlflow:platform:AzureGcJob").length, 0);
        assert.strictEqual(off.byType("azure-native:app:ContainerApp").length, 1, "the server is still there");
    });

    it("day-of-week 7 becomes 0 (Container Apps takes 0-6); everything else is kept as written", () => {
        assert.strictEqual(containerAppsCron("0 4 * * 7"), "0 4 * * 0");
        assert.strictEqual(containerAppsCron("0 4 * * 1,7"), "0 4 * * 1,0");
        assert.strictEqual(containerAppsCron("0 4 * * 5-7"), "0 4 * * 5-6,0");
        assert.strictEqual(containerAppsCron("0 4 * * 7-7"), "0 4 * * 0");
        for (const kept of ["0 4 * * *", "*/15 1-5 1 */2 *", "0 4 * * 0-6", "0 4 * * 1-5/2"]) {
            assert.strictEqual(containerAppsCron(kept), kept);
        }
    });
});

// ---------------------------------------------------------------------------------------------

const RESTORE = { type: "pointInTime", source: SOURCE, time: "2026-11-30T12:00:00Z" };

function settingsOf(r: ProgramRun): RegisteredResource {
    const found = r.resources.filter((x) => x.name.endsWith("-backend-restored-settings"));
    assert.strictEqual(found.length, 1, "one restored-settings resource");
    return found[0];
}

const unwrap = (v: unknown) => (isSecretValue(v) ? v.value : v);

describe("azure ops: point-in-time restore of the Flexible Server", function () {
    this.timeout(120000);
    let prod: ProgramRun;
    before(async () => {
        prod = await run("prod", { "mlflow:restore": RESTORE });
    });

    it("creates the server as a point-in-time restore of the source at the given UTC time", () => {
        const server = prod.one("azure-native:dbforpostgresql:Server");
        const inputs = server.inputs as Record<string, any>;
        assert.strictEqual(inputs.createMode, "PointInTimeRestore");
        assert.strictEqual(inputs.sourceServerResourceId, SOURCE);
        assert.strictEqual(inputs.pointInTimeUTC, "2026-11-30T12:00:00Z");
        assert.strictEqual(inputs.location, "westeurope");
        // Private access in the new stack's own network, like a created server.
        assert.deepStrictEqual(inputs.network, {
            delegatedSubnetResourceId: "mlflow-prod-foundation-vnet-id/subnets/postgres",
            privateDnsZoneArmResourceId: "mlflow-prod-backend-dns-id",
            publicNetworkAccess: "Disabled",
        });
        assert.strictEqual(server.options.protect, true, "prod protects the restored server too");
    });

    it("sends nothing a restore takes from the source (login, password, version, size, storage, backups, HA)", () => {
        const inputs = prod.one("azure-native:dbforpostgresql:Server").inputs;
        for (const key of ["administratorLogin", "administratorLoginPassword", "authConfig", "version", "sku", "storage", "backup", "highAvailability"]) {
            assert.ok(!(key in inputs), `${key} is sent with a restore`);
        }
    });

    it("a server of its own: another resource and a name tagged with the restore point", () => {
        const server = prod.one("azure-native:dbforpostgresql:Server");
        assert.strictEqual(server.name, "mlflow-prod-backend-restored-server");
        assert.strictEqual(server.inputs.serverName, `mlflow-prod-pg-k3x9q2ab${restoreTag(SOURCE, RESTORE.time)}`);
        assert.match(String(server.inputs.serverName), /^mlflow-prod-pg-k3x9q2abr[0-9a-f]{6}$/);
        assert.notStrictEqual(restoreTag(SOURCE, "2026-11-30T12:05:00Z"), restoreTag(SOURCE, RESTORE.time), "another time, another server");
        assert.strictEqual(restoreTag(SOURCE.toUpperCase(), RESTORE.time), restoreTag(SOURCE, RESTORE.time), "ARM ids are case-insensitive");
        assert.strictEqual(prod.outputs.databaseEndpoint, `mlflow-prod-pg-k3x9q2ab${restoreTag(SOURCE, RESTORE.time)}.postgres.database.azure.com:5432`);
    });

    it("creates no database (they come with the restore; creating one would fail)", () => {
        assert.strictEqual(prod.byType("azure-native:dbforpostgresql:Database").length, 0);
    });

    it("then sets the program's password and the stack's size, retention and HA on the restored server", () => {
        const settings = settingsOf(prod);
        const inputs = settings.inputs as Record<string, unknown>;
        assert.strictEqual(inputs.serverId, "mlflow-prod-backend-restored-server-id");
        assert.ok(isSecretValue(inputs.password), "the password is a secret");
        assert.ok(isSecretValue(inputs.token), "the deployer's token is a secret");
        assert.strictEqual(unwrap(inputs.password), DB_PASSWORD);
        assert.strictEqual(unwrap(inputs.token), "mock-entra-access-token");
        assert.deepStrictEqual(
            [inputs.skuName, inputs.tier, inputs.storageGb, inputs.backupRetentionDays, inputs.highAvailability, inputs.apiVersion],
            ["Standard_D2ds_v5", "GeneralPurpose", 32, 14, "ZoneRedundant", "2024-08-01"],
        );
    });

    it("the URIs in Key Vault name the restored server with the program's password", () => {
        const uri = prod.byType("azure-native:keyvault:Secret").find((s) => s.inputs.secretName === "mlflow-backend-store-uri")!;
        const value = allStrings(uri.inputs).join(" ");
        assert.ok(value.includes(`@mlflow-prod-pg-k3x9q2ab${restoreTag(SOURCE, RESTORE.time)}.postgres.database.azure.com:5432/mlflow`), value.replace(/:[^@]*@/, ":***@"));
        assert.ok(value.includes(encodeURIComponent(DB_PASSWORD).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)));
    });

    it("no password or token in a plain input", () => {
        for (const r of prod.resources) {
            const plain = plainStrings(r.inputs);
            for (const s of [DB_PASSWORD, encodeURIComponent(DB_PASSWORD), "mock-entra-access-token"]) {
                assert.ok(!plain.some((p) => p.includes(s)), `${r.type} ${r.name} carries a secret in plain`);
            }
        }
    });

    it("staging restores without high availability; without mlflow:restore the server is created with its databases", async () => {
        const staging = await run("staging", { "mlflow:restore": RESTORE });
        assert.strictEqual((settingsOf(staging).inputs as Record<string, unknown>).highAvailability, "Disabled");
        assert.strictEqual(staging.one("azure-native:dbforpostgresql:Server").options.protect, false);

        const created = await run("staging");
        const server = created.one("azure-native:dbforpostgresql:Server");
        assert.strictEqual(server.name, "mlflow-staging-backend-server");
        assert.strictEqual(server.inputs.createMode, "Create");
        assert.strictEqual(server.inputs.serverName, "mlflow-staging-pg-k3x9q2ab");
        assert.strictEqual(created.byType("azure-native:dbforpostgresql:Database").length, 2);
        assert.strictEqual(created.resources.filter((x) => x.name.endsWith("restored-settings")).length, 0);
    });
});

describe("azure ops: the restored server's settings step (Azure Resource Manager, stubbed)", () => {
    const realFetch = globalThis.fetch;
    let calls: { method: string; url: string; body?: any }[];
    afterEach(() => {
        globalThis.fetch = realFetch;
    });

    function stub(current: unknown, patchStatus = 202, finalStatus = "Succeeded") {
        calls = [];
        globalThis.fetch = (async (url: string, init?: { method?: string; body?: string }) => {
            const method = init?.method ?? "GET";
            calls.push({ method, url, body: init?.body ? JSON.parse(init.body) : undefined });
            if (url.startsWith("https://op.example")) return new Response(JSON.stringify({ status: finalStatus }), { status: 200 });
            if (method === "GET") return new Response(JSON.stringify(current), { status: 200 });
            return new Response(patchStatus >= 400 ? JSON.stringify({ error: { code: "Bad", message: "refused" } }) : "", {
                status: patchStatus,
                headers: patchStatus === 202 ? { "Azure-AsyncOperation": "https://op.example/1" } : {},
            });
        }) as typeof fetch;
    }

    const NEWS: SettingsInputs = {
        serverId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-r1",
        password: "program-password",
        skuName: "Standard_D2ds_v5",
        tier: "GeneralPurpose",
        storageGb: 32,
        backupRetentionDays: 14,
        highAvailability: "ZoneRedundant",
        token: "tok",
        apiVersion: "2024-08-01",
    };
    const noWait = async () => undefined;

    it("on a fresh restore: the password with the retention, then compute (storage never shrinks), then HA, each awaited", async () => {
        stub({ sku: { name: "Standard_B1ms" }, properties: { storage: { storageSizeGB: 64 }, backup: { backupRetentionDays: 7 }, highAvailability: { mode: "Disabled" } } });
        await applySettings(NEWS, undefined, noWait);
        const patches = calls.filter((c) => c.method === "PATCH");
        assert.deepStrictEqual(patches.map((p) => p.body), [
            { properties: { administratorLoginPassword: "program-password", backup: { backupRetentionDays: 14 } } },
            { sku: { name: "Standard_D2ds_v5", tier: "GeneralPurpose" }, properties: { storage: { storageSizeGB: 64, autoGrow: "Enabled" } } },
            { properties: { highAvailability: { mode: "ZoneRedundant" } } },
        ]);
        assert.ok(patches.every((p) => p.url === `https://management.azure.com${NEWS.serverId}?api-version=2024-08-01`));
        assert.strictEqual(calls.filter((c) => c.url === "https://op.example/1").length, 3, "each operation polled to its end");
    });

    it("writes the password even when everything else already matches; later runs change only what changed", async () => {
        const same = { sku: { name: "Standard_D2ds_v5" }, properties: { storage: { storageSizeGB: 32 }, backup: { backupRetentionDays: 14 }, highAvailability: { mode: "ZoneRedundant" } } };
        stub(same, 200);
        await applySettings(NEWS, undefined, noWait);
        assert.deepStrictEqual(calls.filter((c) => c.method === "PATCH").map((c) => Object.keys(c.body.properties)), [["administratorLoginPassword", "backup"]]);
        stub(same, 200);
        const { token: _t, apiVersion: _a, ...olds } = NEWS;
        await applySettings(NEWS, olds, noWait);
        assert.strictEqual(calls.filter((c) => c.method === "PATCH").length, 0, "nothing to do");
    });

    it("a refused step or a failed operation stops the update with Azure's reason, never the password", async () => {
        stub({}, 400);
        await assert.rejects(applySettings(NEWS, undefined, noWait), (e: Error) => /HTTP 400: Bad refused/.test(e.message) && !e.message.includes("program-password"));
        stub({}, 202, "Failed");
        await assert.rejects(applySettings(NEWS, undefined, noWait), /ended Failed/);
    });

    it("a new token alone is no change; a new password or server is", async () => {
        const { token: _t, apiVersion: _a, ...olds } = NEWS;
        const diff = settingsProvider.diff!.bind(settingsProvider);
        assert.strictEqual((await diff("id", olds, { ...NEWS, token: "another" })).changes, false);
        assert.strictEqual((await diff("id", olds, { ...NEWS, password: "rotated" })).changes, true);
        assert.strictEqual((await diff("id", olds, { ...NEWS, serverId: `${NEWS.serverId}x` })).changes, true);
    });
});

// ---------------------------------------------------------------------------------------------

interface Rule {
    ruleName: string;
    scopes: string[];
    severity: number;
    windowSize: string;
    evaluationFrequency: string;
    location: string;
    autoMitigate: boolean;
    actions: { actionGroupId: string }[];
    criteria: {
        odataType: string;
        allOf: { metricNamespace: string; metricName: string; timeAggregation: string; operator: string; threshold: number; dimensions?: { name: string; operator: string; values: string[] }[] }[];
    };
}

function rules(r: ProgramRun): Record<string, Rule> {
    return Object.fromEntries(r.byType("azure-native:monitor:MetricAlert").map((a) => [String(a.inputs.ruleName).replace(/^mlflow-[a-z]+-/, ""), a.inputs as unknown as Rule]));
}

describe("azure ops: alerts", function () {
    this.timeout(120000);
    let prod: ProgramRun;
    before(async () => {
        prod = await run("prod", { "mlflow:alerts": { email: ["ops@example.com", "ml-team@example.com"] } });
    });

    it("an action group e-mails every address with the common alert schema", () => {
        const group = prod.one("azure-native:monitor:ActionGroup").inputs as Record<string, any>;
        assert.strictEqual(group.actionGroupName, "mlflow-prod-alerts");
        assert.strictEqual(group.enabled, true);
        assert.strictEqual(group.location, "Global");
        assert.ok(String(group.groupShortName).length <= 12 && String(group.groupShortName).length > 0);
        assert.deepStrictEqual(group.emailReceivers, [
            { name: "email-1", emailAddress: "ops@example.com", useCommonAlertSchema: true },
            { name: "email-2", emailAddress: "ml-team@example.com", useCommonAlertSchema: true },
        ]);
    });

    it("one rule per failure a team must hear about, each on its resource, each sent to the action group", () => {
        const all = rules(prod);
        assert.deepStrictEqual(Object.keys(all).sort(), ["db-cpu", "db-down", "db-storage", "gc-failed", "server-5xx", "server-down", "server-restarts"]);
        const scope: Record<string, string> = {
            "server-5xx": "mlflow-prod-platform-app-id",
            "server-restarts": "mlflow-prod-platform-app-id",
            "server-down": "mlflow-prod-platform-app-id",
            "db-cpu": "mlflow-prod-backend-server-id",
            "db-storage": "mlflow-prod-backend-server-id",
            "db-down": "mlflow-prod-backend-server-id",
            "gc-failed": "mlflow-prod-gc-job-id",
        };
        for (const [what, rule] of Object.entries(all)) {
            assert.deepStrictEqual(rule.scopes, [scope[what]], what);
            assert.deepStrictEqual(rule.actions, [{ actionGroupId: "mlflow-prod-alerts-email-id" }], what);
            assert.strictEqual(rule.criteria.odataType, "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria");
            assert.strictEqual(rule.location, "global");
            assert.strictEqual(rule.autoMitigate, true);
        }
    });

    it("the server: 5xx answers totalled over 5 minutes above alerts.errors5xx, restarts, no running replica", () => {
        const all = rules(prod);
        const c = (what: string) => all[what].criteria.allOf[0];
        assert.deepStrictEqual(
            { ...c("server-5xx"), window: all["server-5xx"].windowSize },
            {
                criterionType: "StaticThresholdCriterion",
                name: "server-5xx",
                metricNamespace: "Microsoft.App/containerApps",
                metricName: "Requests",
                timeAggregation: "Total",
                operator: "GreaterThan",
                threshold: 10,
                dimensions: [{ name: "statusCodeCategory", operator: "Include", values: ["5xx"] }],
                window: "PT5M",
            },
        );
        assert.deepStrictEqual([c("server-restarts").metricName, c("server-restarts").timeAggregation, c("server-restarts").operator, c("server-restarts").threshold], ["RestartCount", "Maximum", "GreaterThan", 3]);
        assert.deepStrictEqual([c("server-down").metricName, c("server-down").timeAggregation, c("server-down").operator, c("server-down").threshold], ["Replicas", "Maximum", "LessThan", 1]);
    });

    it("the database: CPU averaged over 15 minutes, storage used, liveness; the gc job's failed executions", () => {
        const all = rules(prod);
        const c = (what: string) => all[what].criteria.allOf[0];
        assert.deepStrictEqual([c("db-cpu").metricNamespace, c("db-cpu").metricName, c("db-cpu").timeAggregation, c("db-cpu").threshold, all["db-cpu"].windowSize], ["Microsoft.DBforPostgreSQL/flexibleServers", "cpu_percent", "Average", 80, "PT15M"]);
        assert.deepStrictEqual([c("db-storage").metricName, c("db-storage").operator, c("db-storage").threshold], ["storage_percent", "GreaterThan", 85]);
        assert.deepStrictEqual([c("db-down").metricName, c("db-down").operator, c("db-down").threshold], ["is_db_alive", "LessThan", 1]);
        assert.deepStrictEqual(
            [c("gc-failed").metricNamespace, c("gc-failed").metricName, c("gc-failed").timeAggregation, c("gc-failed").threshold, c("gc-failed").dimensions],
            ["Microsoft.App/jobs", "Executions", "Total", 0, [{ name: "state", operator: "Include", values: ["Failed"] }]],
        );
    });

    it("thresholds come from mlflow:alerts; an existing action group as target only: no group created", async () => {
        const r = await run("staging", { "mlflow:alerts": { target: TARGET, cpuPercent: 70, storagePercent: 90, errors5xx: 25 } });
        assert.strictEqual(r.byType("azure-native:monitor:ActionGroup").length, 0);
        const all = rules(r);
        for (const rule of Object.values(all)) {
            assert.deepStrictEqual(rule.actions, [{ actionGroupId: TARGET }]);
        }
        assert.strictEqual(all["server-5xx"].criteria.allOf[0].threshold, 25);
        assert.strictEqual(all["db-cpu"].criteria.allOf[0].threshold, 70);
        assert.strictEqual(all["db-storage"].criteria.allOf[0].threshold, 90);
        // Staging scales to zero: no replica is the idle state there, not an outage.
        assert.strictEqual(all["server-down"], undefined);
        assert.ok(all["server-restarts"]);
    });

    it("e-mail and target together; an external database and mlflow:gc false leave their rules out", async () => {
        const r = await run(
            "staging",
            {
                "mlflow:alerts": { email: ["ops@example.com"], target: TARGET },
                "mlflow:gc": false,
                "mlflow:backend": { type: "postgres", mode: "external" },
                "mlflow:postgresUrl": "postgresql://ext:TEST-ext-db-pw-77@db.example.com:5432/mlflow",
            },
            ["mlflow:postgresUrl"],
        );
        const all = rules(r);
        assert.deepStrictEqual(Object.keys(all).sort(), ["server-5xx", "server-restarts"]);
        assert.deepStrictEqual(all["server-5xx"].actions, [{ actionGroupId: "mlflow-staging-alerts-email-id" }, { actionGroupId: TARGET }]);
    });

    it("nothing without mlflow:alerts", () => {
        return run("prod").then((r) => {
            assert.strictEqual(r.byType("azure-native:monitor:ActionGroup").length, 0);
            assert.strictEqual(r.byType("azure-native:monitor:MetricAlert").length, 0);
            assert.strictEqual(r.byType("mlflow:platform:AzureAlerts").length, 0);
        });
    });
});
