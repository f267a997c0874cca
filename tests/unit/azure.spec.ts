import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { azureSubnets, tierOfSku } from "../../components/config/azure";
import { ConfigError } from "../../components/config/problems";
import { parseConfig, ParseInput, SecretKey } from "../../components/config/parse";
import { allowedHostPatterns } from "../../components/contract";
import { containerAppName, containerRegistryName, keyVaultName, postgresServerName } from "../../components/naming";
import { appHost, AZURE_ROLES, azureNames, secretNameForEnv } from "../../components/platform/azure/facts";
import { MOCK_AZURE_ENV_UNIQUE, MOCK_AZURE_SUBSCRIPTION } from "../../scripts/mocksAzure";
import { allStrings, isSecretValue, plainStrings, ProgramRun, ROOT, runProgram } from "./harness";

// ---------------------------------------------------------------------------------------------
// Config

const AZ_PROVIDER = { "azure-native:location": "westeurope" };

function input(stack: string, raw: Record<string, unknown>, secrets: SecretKey[] = [], providerConfig: Record<string, string> = AZ_PROVIDER): ParseInput {
    return { project: "mlflow", stack, raw, secretsSet: new Set(secrets), providerConfig };
}

function failure(stack: string, raw: Record<string, unknown>, secrets: SecretKey[] = [], providerConfig: Record<string, string> = AZ_PROVIDER): string {
    try {
        parseConfig(input(stack, raw, secrets, providerConfig));
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
        return e.message;
    }
    assert.fail("expected the configuration to be refused");
}

function problemLine(message: string, key: string): string {
    const line = message.split("\n  - ").find((l) => l.startsWith(`${key}:`));
    assert.ok(line, `no problem for ${key} in:\n${message}`);
    assert.match(line, /Allowed: /);
    assert.match(line, /Fix: pulumi config (set|rm) /);
    return line;
}

const AZURE = { platform: "azure", backend: { type: "azure-postgres" }, artifacts: { type: "azure-blob" } };

describe("azure: configuration", () => {
    it("staging defaults: scale to zero, one replica at most, Burstable database, 7-day local backups, no HA, 30-day logs", () => {
        const { spec } = parseConfig(input("staging", AZURE));
        const az = spec.azure!;
        assert.strictEqual(az.location, "westeurope");
        assert.deepStrictEqual([az.minReplicas, az.maxReplicas, az.cpu, az.memory, az.zoneRedundant, az.logRetentionDays], [0, 1, "0.5", "1Gi", false, 30]);
        assert.deepStrictEqual(az.network, { vnetCidr: "10.42.0.0/16", appsSubnetCidr: "10.42.0.0/23", databaseSubnetCidr: "10.42.2.0/24" });
        assert.ok(spec.backend.type === "azure-postgres");
        const b = spec.backend;
        assert.deepStrictEqual(
            [b.skuName, b.tier, b.storageGb, b.backupRetentionDays, b.geoRedundantBackup, b.highAvailability, b.version],
            ["Standard_B1ms", "Burstable", 32, 7, false, false, "17"],
        );
    });

    it("prod defaults: two replicas, zone-redundant HA, 14-day geo-redundant backups, 90-day logs", () => {
        const { spec } = parseConfig(input("prod", AZURE));
        const az = spec.azure!;
        assert.deepStrictEqual([az.minReplicas, az.maxReplicas, az.cpu, az.memory, az.zoneRedundant, az.logRetentionDays], [2, 4, "1", "2Gi", true, 90]);
        assert.ok(spec.backend.type === "azure-postgres");
        const b = spec.backend;
        assert.deepStrictEqual([b.skuName, b.tier, b.backupRetentionDays, b.geoRedundantBackup, b.highAvailability], ["Standard_D2ds_v5", "GeneralPurpose", 14, true, true]);
        assert.strictEqual(spec.protectData, true);
    });

    it("accepts numbers as YAML gives them and a location from mlflow:azure alone", () => {
        // One replica at most: staging's Standard_B1ms (35 usable connections) leaves a second too small a pool.
        const { spec } = parseConfig(input("staging", { ...AZURE, azure: { location: "northeurope", cpu: 2, minReplicas: "1", maxReplicas: "1" } }, [], {}));
        assert.deepStrictEqual([spec.azure!.location, spec.azure!.cpu, spec.azure!.memory, spec.azure!.minReplicas, spec.azure!.maxReplicas], ["northeurope", "2", "4Gi", 1, 1]);
        // Two, on a database with room for them.
        const roomy = parseConfig(input("staging", { ...AZURE, backend: { type: "azure-postgres", skuName: "Standard_B2s" }, azure: { location: "northeurope", maxReplicas: "2" } }, [], {})).spec;
        assert.strictEqual(roomy.azure!.maxReplicas, 2);
    });

    it("staging's one replica on Standard_B1ms (35 usable) gets a pool of 8 per engine; two replicas would leave 4 and are refused", () => {
        // One replica × 1 worker × 4 engines (auth on) × 8 + 1 = 33 <= 35.
        const { spec } = parseConfig(input("staging", AZURE));
        assert.strictEqual(spec.azure!.maxReplicas, 1);
        assert.deepStrictEqual(spec.dbPool, { size: 3, maxOverflow: 5 });
        const line = problemLine(failure("staging", { ...AZURE, azure: { maxReplicas: 2 } }), "mlflow:dbPoolSize");
        assert.ok(line.includes("room for 4 connections per engine (2 instances × 1 worker × 4 engines)"), line);
        assert.ok(line.includes("at least 8 per engine within 35 connections (max_connections 50 on Standard_B1ms"), line);
        assert.ok(line.includes("pulumi config set --path mlflow:azure.maxReplicas 1 --stack staging"), line);
        assert.ok(line.includes("a larger database (mlflow:backend.skuName)"), line);
        // Prod keeps its 2 to 4 replicas on Standard_D2ds_v5.
        assert.strictEqual(parseConfig(input("prod", AZURE)).spec.azure!.maxReplicas, 4);
    });

    it("SQLite on Azure is refused, pointing at azure-postgres", () => {
        const m = failure("prod", { ...AZURE, backend: "sqlite" });
        const line = problemLine(m, "mlflow:backend.type");
        assert.match(line, /sqlite on platform azure/);
        assert.match(line, /database is locked/);
        assert.ok(line.includes("pulumi config set --path mlflow:backend.type azure-postgres --stack prod"), line);
    });

    it("RDS on Azure is refused", () => {
        const m = failure("staging", { ...AZURE, backend: { type: "rds" } });
        const line = problemLine(m, "mlflow:backend.type");
        assert.match(line, /rds on platform azure. Allowed: rds only with platform aws/);
        assert.ok(line.includes("mlflow:backend.type azure-postgres"), line);
    });

    it("azure-postgres off Azure is refused", () => {
        const m = failure("staging", { backend: { type: "azure-postgres" } });
        assert.match(problemLine(m, "mlflow:backend.type"), /azure-postgres only with platform azure/);
    });

    it("a missing location names the provider key to set", () => {
        const m = failure("staging", AZURE, [], {});
        const line = problemLine(m, "mlflow:azure.location");
        assert.ok(line.includes("pulumi config set azure-native:location westeurope --stack staging"), line);
    });

    it("high availability on a Burstable size, memory not fitting the CPU, min above max, reserved user, odd storage", () => {
        const m = failure("prod", {
            ...AZURE,
            backend: { type: "azure-postgres", skuName: "Standard_B2s", user: "admin", storageGb: 100 },
            azure: { cpu: "1", memory: "3Gi", minReplicas: 5, maxReplicas: 3 },
        });
        assert.ok(problemLine(m, "mlflow:backend.highAvailability").includes("mlflow:backend.skuName Standard_D2ds_v5"));
        assert.ok(problemLine(m, "mlflow:azure.memory").includes("mlflow:azure.memory 2Gi"));
        assert.ok(problemLine(m, "mlflow:azure.maxReplicas").includes("mlflow:azure.maxReplicas 5"));
        assert.match(problemLine(m, "mlflow:backend.user"), /reserved/);
        assert.match(problemLine(m, "mlflow:backend.storageGb"), /32, 64, 128/);
    });

    it("prod backups shorter than 14 days, a public or malformed network block, binding without a domain", () => {
        const m = failure("prod", { ...AZURE, backend: { type: "azure-postgres", backupRetentionDays: 7 }, azure: { vnetCidr: "8.8.0.0/16", bindCustomDomain: true } });
        assert.ok(problemLine(m, "mlflow:backend.backupRetentionDays").includes("mlflow:backend.backupRetentionDays 14"));
        assert.match(problemLine(m, "mlflow:azure.vnetCidr"), /private/);
        assert.ok(problemLine(m, "mlflow:azure.bindCustomDomain").includes("mlflow:azure.customDomain"));
        const typo = failure("staging", { ...AZURE, azure: { minReplica: 1 } });
        assert.match(problemLine(typo, "mlflow:azure.minReplica"), /did you mean minReplicas/);
    });

    it("sku names map to their tiers", () => {
        assert.strictEqual(tierOfSku("Standard_B1ms"), "Burstable");
        assert.strictEqual(tierOfSku("Standard_D4ds_v5"), "GeneralPurpose");
        assert.strictEqual(tierOfSku("Standard_E2ds_v5"), "MemoryOptimized");
        assert.throws(() => azureSubnets("10.0.0.0/8"));
    });
});

// ---------------------------------------------------------------------------------------------
// Pure platform facts

describe("azure: names and served hosts", () => {
    it("names fit each service's rules", () => {
        const long = "a-very-long-project-name-that-goes-on";
        assert.match(containerRegistryName(long, "prod", "k3x9q2ab"), /^[a-z][a-z0-9]{4,49}$/);
        const kv = keyVaultName(long, "prod", "k3x9q2ab");
        assert.ok(kv.length <= 24 && /^[a-z][a-z0-9-]*[a-z0-9]$/.test(kv) && !kv.includes("--"), kv);
        assert.match(keyVaultName("9lives", "prod", "k3x9q2ab"), /^[a-z]/);
        assert.ok(postgresServerName(`${long}-${long}`, "k3x9q2ab").length <= 63);
        const app = containerAppName(`${long}-prod`, "server");
        assert.ok(app.length <= 32 && /^[a-z][a-z0-9-]*[a-z0-9]$/.test(app), app);
        assert.strictEqual(secretNameForEnv("MLFLOW_BACKEND_STORE_URI"), "mlflow-backend-store-uri");
    });

    const app = azureNames("mlflow-prod").app;
    const defaultDomain = `${MOCK_AZURE_ENV_UNIQUE}.westeurope.azurecontainerapps.io`;
    const fqdn = `${app}.${defaultDomain}`;
    const hostPatterns = allowedHostPatterns([appHost(app, defaultDomain) as string]);
    const originPattern = `https://${fqdn}`;

    it("the app's host is named exactly from the environment's default domain", () => {
        assert.deepStrictEqual(hostPatterns, [fqdn, `${fqdn}:*`]);
    });

    const python = path.join(ROOT, ".venv", "bin", "python");
    it("MLflow's own checks (installed MLflow, Flask-CORS, Starlette) accept the app's FQDN and nothing foreign", function () {
        if (!fs.existsSync(python)) {
            this.skip(); // needs `npm run setup` (the .venv with the pinned MLflow)
        }
        this.timeout(60000);
        const evil = [
            `https://${app}-westeurope-azurecontainerapps-io.evil.example`,
            `https://${app}.westeurope.azurecontainerapps.io.evil.example`,
            "https://evil.example",
        ];
        const request = {
            allowedHosts: hostPatterns,
            corsOrigins: [originPattern],
            hosts: [fqdn, `${fqdn}:443`, "evil.example", `${app}.evil.example`, `other-app.${MOCK_AZURE_ENV_UNIQUE}.westeurope.azurecontainerapps.io`, `${app}.x.northeurope.azurecontainerapps.io`],
            origins: [`https://${fqdn}`, ...evil],
        };
        const out = JSON.parse(execFileSync(python, [path.join(__dirname, "azure_security_check.py")], { input: JSON.stringify(request), encoding: "utf8" })) as {
            hosts: Record<string, boolean>;
            origins: Record<string, { mlflowAllowsPost: boolean; starletteAllows: boolean; flaskCorsAllows: boolean }>;
        };
        assert.deepStrictEqual(out.hosts, {
            [fqdn]: true,
            [`${fqdn}:443`]: true,
            "evil.example": false,
            [`${app}.evil.example`]: false,
            [`other-app.${MOCK_AZURE_ENV_UNIQUE}.westeurope.azurecontainerapps.io`]: false,
            [`${app}.x.northeurope.azurecontainerapps.io`]: false,
        });
        // The UI's own writes (same origin, Origin header sent on POST) pass MLflow's CORS block.
        assert.strictEqual(out.origins[`https://${fqdn}`].mlflowAllowsPost, true);
        for (const o of evil) {
            assert.deepStrictEqual(out.origins[o], { mlflowAllowsPost: false, starletteAllows: false, flaskCorsAllows: false }, o);
        }
        // The exact origin is the only one any of the three checks admits.
        assert.strictEqual(out.origins[`https://${fqdn}`].starletteAllows, true);
    });
});

// ---------------------------------------------------------------------------------------------
// The program under mocks

const ADMIN_PASSWORD = "TEST-admin-pw-Zq9x!";
const POSTGRES_URL = "postgresql://ext:TEST-ext-db-pw-77@db.example.com:5432/mlflow";
const GENERATED = (name: string) => `generated ${name} p@ss:w/o?r#d%&`;

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

function containerApp(run: ProgramRun) {
    const inputs = run.one("azure-native:app:ContainerApp").inputs;
    const configuration = inputs.configuration as {
        ingress: { external: boolean; allowInsecure: boolean; targetPort: number; customDomains?: { name: string; bindingType: string; certificateId?: string }[] };
        secrets: Record<string, unknown>[];
        registries?: { server: string; identity: string }[];
        activeRevisionsMode: string;
    };
    const template = inputs.template as {
        containers: { image: string; args: string[]; env: { name: string; value?: string; secretRef?: string }[]; probes: { type: string; httpGet: { path: string; port: number } }[]; resources: { cpu: number; memory: string } }[];
        scale: { minReplicas: number; maxReplicas: number; rules: { http?: unknown }[] };
    };
    return { inputs, configuration, template, container: template.containers[0] };
}

function argValue(args: string[], flag: string): string | undefined {
    const i = args.indexOf(flag);
    return i === -1 ? undefined : args[i + 1];
}

/** Every secret the runs use, in the forms it could leak in. */
function leakForms(secret: string): string[] {
    return [secret, encodeURIComponent(secret), encodeURIComponent(secret).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)];
}

describe("azure: prod under mocks", function () {
    this.timeout(120000);
    let run: ProgramRun;
    before(async () => {
        run = await runProgram("prod", azureConfig(), ["mlflow:adminPassword"]);
    });

    it("plans the expected resources", () => {
        const count = (t: string) => run.byType(t).length;
        const expected: Record<string, number> = {
            "azure-native:resources:ResourceGroup": 1,
            "azure-native:network:VirtualNetwork": 1,
            "azure-native:operationalinsights:Workspace": 1,
            "azure-native:managedidentity:UserAssignedIdentity": 1,
            "azure-native:storage:StorageAccount": 1,
            "azure-native:storage:BlobContainer": 1,
            "azure-native:containerregistry:Registry": 1,
            "docker:index/image:Image": 1,
            "azure-native:keyvault:Vault": 1,
            "azure-native:keyvault:Secret": 4,
            "azure-native:authorization:RoleAssignment": 3,
            "azure-native:privatedns:PrivateZone": 1,
            "azure-native:privatedns:VirtualNetworkLink": 1,
            "azure-native:dbforpostgresql:Server": 1,
            "azure-native:dbforpostgresql:Database": 2,
            "azure-native:app:ManagedEnvironment": 1,
            "azure-native:app:ContainerApp": 1,
        };
        for (const [t, n] of Object.entries(expected)) {
            assert.strictEqual(count(t), n, t);
        }
        for (const token of ["mlflow:platform:Azure", "mlflow:platform:AzureFoundation", "mlflow:platform:AzureRegistry", "mlflow:platform:AzureSecrets", "mlflow:backend:AzurePostgres", "mlflow:artifacts:AzureBlob"]) {
            assert.strictEqual(count(token), 1, token);
        }
        assert.strictEqual(count("docker:index/container:Container"), 0);
        assert.ok(run.resources.filter((r) => r.type.startsWith("azure-native:")).every((r) => !("location" in r.inputs) || ["westeurope", "global"].includes(String(r.inputs.location))));
    });

    it("the virtual network has the Container Apps subnet and a subnet delegated to PostgreSQL", () => {
        const vnet = run.one("azure-native:network:VirtualNetwork").inputs;
        const subnets = vnet.subnets as { name: string; addressPrefix: string; delegations: { serviceName: string }[] }[];
        assert.deepStrictEqual(
            subnets.map((s) => [s.addressPrefix, s.delegations.map((d) => d.serviceName)]),
            [["10.42.0.0/23", ["Microsoft.App/environments"]], ["10.42.2.0/24", ["Microsoft.DBforPostgreSQL/flexibleServers"]]],
        );
        const env = run.one("azure-native:app:ManagedEnvironment").inputs as { vnetConfiguration: { infrastructureSubnetId: string; internal: boolean }; zoneRedundant: boolean; appLogsConfiguration: { destination: string; logAnalyticsConfiguration: { sharedKey: unknown } } };
        assert.strictEqual(env.vnetConfiguration.infrastructureSubnetId, "mlflow-prod-foundation-vnet-id/subnets/container-apps");
        assert.strictEqual(env.vnetConfiguration.internal, false);
        assert.strictEqual(env.zoneRedundant, true);
        // The workspace key makes the whole block a secret (or at least the key itself).
        const logs = (isSecretValue(env.appLogsConfiguration) ? env.appLogsConfiguration.value : env.appLogsConfiguration) as typeof env.appLogsConfiguration;
        assert.strictEqual(logs.destination, "log-analytics");
        assert.ok(isSecretValue(env.appLogsConfiguration) || isSecretValue(logs.logAnalyticsConfiguration.sharedKey), "the workspace key is a secret");
        assert.ok(!plainStrings(env).includes("mock-workspace-shared-key"));
        assert.strictEqual(run.one("azure-native:operationalinsights:Workspace").inputs.retentionInDays, 90);
    });

    it("the database: private access in the delegated subnet with its DNS zone, no public access, HA, geo backups, pinned version", () => {
        const server = run.one("azure-native:dbforpostgresql:Server").inputs as Record<string, any>;
        assert.strictEqual(server.network.publicNetworkAccess, "Disabled");
        assert.strictEqual(server.network.delegatedSubnetResourceId, "mlflow-prod-foundation-vnet-id/subnets/postgres");
        assert.strictEqual(server.network.privateDnsZoneArmResourceId, "mlflow-prod-backend-dns-id");
        assert.match(String(run.one("azure-native:privatedns:PrivateZone").inputs.privateZoneName), /\.postgres\.database\.azure\.com$/);
        assert.deepStrictEqual((run.one("azure-native:privatedns:VirtualNetworkLink").inputs.virtualNetwork as { id: string }).id, "mlflow-prod-foundation-vnet-id");
        assert.strictEqual(server.version, "17");
        assert.deepStrictEqual(server.backup, { backupRetentionDays: 14, geoRedundantBackup: "Enabled" });
        assert.strictEqual(server.highAvailability.mode, "ZoneRedundant");
        assert.deepStrictEqual(server.sku, { name: "Standard_D2ds_v5", tier: "GeneralPurpose" });
        assert.ok(isSecretValue(server.administratorLoginPassword));
        assert.deepStrictEqual(run.byType("azure-native:dbforpostgresql:Database").map((d) => d.inputs.databaseName).sort(), ["mlflow", "mlflow_auth"]);
        assert.strictEqual(run.outputs.databaseEndpoint, "mlflow-prod-pg-k3x9q2ab.postgres.database.azure.com:5432");
    });

    it("storage: HTTPS only, no shared keys, no public blobs; the identity is granted the container only", () => {
        const account = run.one("azure-native:storage:StorageAccount").inputs;
        assert.strictEqual(account.enableHttpsTrafficOnly, true);
        assert.strictEqual(account.allowSharedKeyAccess, false);
        assert.strictEqual(account.allowBlobPublicAccess, false);
        assert.strictEqual(account.minimumTlsVersion, "TLS1_2");
        const container = run.one("azure-native:storage:BlobContainer");
        const grants = run.byType("azure-native:authorization:RoleAssignment").map((r) => r.inputs as Record<string, string>);
        const blob = grants.find((g) => g.roleDefinitionId.endsWith(AZURE_ROLES.storageBlobDataContributor));
        assert.ok(blob, "no Storage Blob Data Contributor grant");
        assert.strictEqual(blob.scope, `${container.name}-id`, "scoped to the container, not the account or group");
        assert.strictEqual(blob.roleDefinitionId, `/subscriptions/${MOCK_AZURE_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${AZURE_ROLES.storageBlobDataContributor}`);
        for (const g of grants) {
            assert.strictEqual(g.principalId, "22222222-2222-4222-8222-222222222222", "every grant goes to the app's identity");
            assert.strictEqual(g.principalType, "ServicePrincipal");
        }
        assert.strictEqual(grants.find((g) => g.roleDefinitionId.endsWith(AZURE_ROLES.keyVaultSecretsUser))?.scope, "mlflow-prod-secrets-vault-id");
        assert.strictEqual(grants.find((g) => g.roleDefinitionId.endsWith(AZURE_ROLES.acrPull))?.scope, "mlflow-prod-registry-acr-id");
        const env = containerApp(run).container.env;
        assert.deepStrictEqual(env.find((e) => e.name === "AZURE_CLIENT_ID"), { name: "AZURE_CLIENT_ID", value: "11111111-1111-4111-8111-111111111111" });
        assert.ok(!env.some((e) => /AZURE_STORAGE_(ACCESS_KEY|CONNECTION_STRING)/.test(e.name)), "no storage key reaches the server");
        assert.strictEqual(run.outputs.artifactDestination, "wasbs://mlflow-artifacts@mlflowprodk3x9q2ab.blob.core.windows.net/prod");
    });

    it("Key Vault in RBAC mode with purge protection holds every secret; the app gets them only by reference", () => {
        const vault = run.one("azure-native:keyvault:Vault").inputs.properties as Record<string, unknown>;
        assert.strictEqual(vault.enableRbacAuthorization, true);
        assert.strictEqual(vault.enablePurgeProtection, true);
        const { configuration, container } = containerApp(run);
        const contractSecrets = ["MLFLOW_AUTH_ADMIN_PASSWORD", "MLFLOW_AUTH_DATABASE_URI", "MLFLOW_BACKEND_STORE_URI", "MLFLOW_FLASK_SERVER_SECRET_KEY"];
        for (const envName of contractSecrets) {
            const e = container.env.find((x) => x.name === envName);
            assert.ok(e && e.secretRef && e.value === undefined, `${envName} must come from a secretRef`);
            const s = configuration.secrets.find((x) => x.name === e.secretRef)!;
            assert.deepStrictEqual(Object.keys(s).sort(), ["identity", "keyVaultUrl", "name"], `${envName}: a Key Vault reference, never a value`);
            assert.strictEqual(s.identity, "mlflow-prod-identity-identity-id");
            assert.match(String(s.keyVaultUrl), new RegExp(`^https://mlflow-prod-k3x9q2ab\\.vault\\.azure\\.net/secrets/${e.secretRef}$`));
            const kv = run.byType("azure-native:keyvault:Secret").find((r) => r.inputs.secretName === e.secretRef);
            assert.ok(kv, `${envName}: no Key Vault secret ${e.secretRef}`);
            const props = kv.inputs.properties as { value?: unknown };
            assert.ok(isSecretValue(props) || isSecretValue(props.value), `${envName}: stored as a secret`);
        }
        assert.deepStrictEqual(run.one("azure-native:app:ContainerApp").inputs.identity, { type: "UserAssigned", userAssignedIdentities: ["mlflow-prod-identity-identity-id"] });
    });

    it("no secret value in any plain input, plain env var, argument or non-secret output", () => {
        const secrets = [
            ADMIN_PASSWORD,
            GENERATED("mlflow-prod-backend-password"),
            GENERATED("mlflow-prod-flask-secret-key"),
            "mock-workspace-shared-key",
            "mock-entra-access-token",
        ].flatMap(leakForms);
        for (const r of run.resources) {
            const plain = plainStrings(r.inputs);
            for (const s of secrets) {
                assert.ok(!plain.some((p) => p.includes(s)), `${r.type} ${r.name} carries a secret in a plain input`);
            }
        }
        // ...and the scan can fail: the secrets are there, wrapped.
        const everything = run.resources.flatMap((r) => allStrings(r.inputs));
        assert.ok(everything.some((p) => p.includes(ADMIN_PASSWORD)), "the admin password reaches Key Vault");
        assert.ok(everything.some((p) => p.includes(encodeURIComponent(GENERATED("mlflow-prod-backend-password")).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`))), "the backend URI reaches Key Vault");
        const { container } = containerApp(run);
        for (const e of container.env.filter((x) => x.value !== undefined)) {
            assert.ok(!/PASSWORD|SECRET_KEY|_URI$|ACCESS_KEY|CONNECTION_STRING/.test(e.name), `${e.name} is a plain env var`);
        }
        for (const [k, v] of Object.entries(run.outputs)) {
            if (!run.secretOutputs.has(k)) {
                for (const s of secrets) {
                    assert.ok(!String(v).includes(s), `output ${k} leaks a secret`);
                }
            }
        }
        assert.ok(run.secretOutputs.has("adminPassword"));
    });

    it("the app: external HTTPS ingress, single revision, probes on /health, replicas and HTTP scaling, the pushed image", () => {
        const { configuration, template, container, inputs } = containerApp(run);
        assert.strictEqual(configuration.activeRevisionsMode, "Single");
        assert.strictEqual(configuration.ingress.external, true);
        assert.strictEqual(configuration.ingress.allowInsecure, false);
        assert.strictEqual(configuration.ingress.targetPort, 5000);
        assert.strictEqual(inputs.managedEnvironmentId, "mlflow-prod-environment-env-id");
        assert.deepStrictEqual(container.probes.map((p) => [p.type, p.httpGet.path, p.httpGet.port]), [["Startup", "/health", 5000], ["Readiness", "/health", 5000], ["Liveness", "/health", 5000]]);
        for (const p of container.probes as unknown as Record<string, number>[]) {
            assert.ok(p.failureThreshold <= 10 && p.initialDelaySeconds <= 60, "within Container Apps' probe limits");
        }
        assert.deepStrictEqual([template.scale.minReplicas, template.scale.maxReplicas], [2, 4]);
        assert.ok(template.scale.rules.some((r) => r.http), "an HTTP scale rule");
        assert.deepStrictEqual(container.resources, { cpu: 1, memory: "2Gi" });
        const image = run.one("docker:index/image:Image").inputs as { imageName: string; registry: unknown; build: { platform: string } };
        // The app runs the pushed image by digest, so a re-pushed tag never changes it.
        assert.strictEqual(container.image, `${image.imageName.replace(/:[^:/]+$/, "")}@sha256:${"0".repeat(64)}`);
        assert.match(image.imageName, /^mlflowprodacrk3x9q2ab\.azurecr\.io\/mlflow-prod-server:3\.17\.2-[0-9a-f]{12}$/);
        assert.strictEqual(image.build.platform, "linux/amd64");
        assert.ok(isSecretValue(image.registry), "the push credential is a secret");
        assert.strictEqual((isSecretValue(image.registry) ? (image.registry.value as { username: string }) : { username: "" }).username, "00000000-0000-0000-0000-000000000000");
        assert.strictEqual(run.one("azure-native:containerregistry:Registry").inputs.adminUserEnabled, false);
        assert.deepStrictEqual(configuration.registries, [{ server: "mlflowprodacrk3x9q2ab.azurecr.io", identity: "mlflow-prod-identity-identity-id" }]);
        assert.strictEqual(run.outputs.url, `https://mlflow-prod-server.${MOCK_AZURE_ENV_UNIQUE}.westeurope.azurecontainerapps.io`);
        assert.strictEqual(run.outputs.logs, "mlflow-prod-logs");
    });

    it("allowed hosts and CORS origins cover the app's FQDN", () => {
        const args = containerApp(run).container.args;
        const hosts = argValue(args, "--allowed-hosts")!.split(",");
        const fqdn = `mlflow-prod-server.${MOCK_AZURE_ENV_UNIQUE}.westeurope.azurecontainerapps.io`;
        assert.deepStrictEqual(hosts, [fqdn, `${fqdn}:*`]);
        assert.deepStrictEqual(argValue(args, "--cors-allowed-origins")!.split(","), [`https://${fqdn}`]);
        assert.strictEqual(run.outputs.url, `https://${fqdn}`);
        assert.ok(!args.includes("--disable-security-middleware"));
        assert.ok(!args.some((a) => /postgresql|vault\.azure\.net/.test(a)), "no URI or secret on the command line");
    });
});

describe("azure: staging and variants under mocks", function () {
    this.timeout(120000);

    it("staging scales to zero and to one replica at most, no purge protection, no HA, local 7-day backups", async () => {
        const run = await runProgram("staging", azureConfig(), ["mlflow:adminPassword"]);
        const { template, container } = containerApp(run);
        assert.deepStrictEqual([template.scale.minReplicas, template.scale.maxReplicas], [0, 1]);
        // One replica leaves each engine 8 connections of Standard_B1ms's 35.
        const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
        assert.deepStrictEqual([env.MLFLOW_SQLALCHEMYSTORE_POOL_SIZE, env.MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW], ["3", "5"]);
        const vault = run.one("azure-native:keyvault:Vault").inputs.properties as Record<string, unknown>;
        assert.strictEqual(vault.enableRbacAuthorization, true);
        assert.ok(!vault.enablePurgeProtection);
        const server = run.one("azure-native:dbforpostgresql:Server").inputs as Record<string, any>;
        assert.deepStrictEqual(server.backup, { backupRetentionDays: 7, geoRedundantBackup: "Disabled" });
        assert.strictEqual(server.highAvailability.mode, "Disabled");
        assert.strictEqual(server.network.publicNetworkAccess, "Disabled");
        assert.strictEqual(run.one("azure-native:app:ManagedEnvironment").inputs.zoneRedundant, false);
        // Stacks never collide: every Azure name carries the stack.
        for (const r of run.resources.filter((x) => x.type.startsWith("azure-native:"))) {
            for (const key of ["resourceGroupName", "virtualNetworkName", "workspaceName", "environmentName", "containerAppName", "serverName", "resourceName"]) {
                if (typeof r.inputs[key] === "string" && key !== "resourceGroupName") {
                    assert.match(String(r.inputs[key]), /staging/, `${r.type}.${key}`);
                }
            }
        }
    });

    it("an external PostgreSQL URL (secret) instead of a Flexible Server", async () => {
        const run = await runProgram(
            "staging",
            azureConfig({ "mlflow:backend": { type: "postgres", mode: "external" }, "mlflow:postgresUrl": POSTGRES_URL }),
            ["mlflow:adminPassword", "mlflow:postgresUrl"],
        );
        assert.strictEqual(run.byType("azure-native:dbforpostgresql:Server").length, 0);
        assert.strictEqual(run.outputs.databaseEndpoint, undefined);
        const plain = run.resources.flatMap((r) => plainStrings(r.inputs));
        assert.ok(!plain.some((p) => p.includes("TEST-ext-db-pw-77")), "the external URL never shows in plain");
        assert.ok(run.resources.flatMap((r) => allStrings(r.inputs)).some((p) => p.includes("TEST-ext-db-pw-77")), "it reaches Key Vault");
        assert.ok(containerApp(run).container.env.some((e) => e.name === "MLFLOW_BACKEND_STORE_URI" && e.secretRef));
    });

    it("a prebuilt image: no registry, no build, no AcrPull", async () => {
        const run = await runProgram("staging", azureConfig({ "mlflow:image": "ghcr.io/example/mlflow-server:3.17.2-1" }), ["mlflow:adminPassword"]);
        assert.strictEqual(run.byType("azure-native:containerregistry:Registry").length, 0);
        assert.strictEqual(run.byType("docker:index/image:Image").length, 0);
        assert.strictEqual(containerApp(run).container.image, "ghcr.io/example/mlflow-server:3.17.2-1");
        assert.strictEqual(containerApp(run).configuration.registries, undefined);
        assert.ok(!run.byType("azure-native:authorization:RoleAssignment").some((r) => String(r.inputs.roleDefinitionId).endsWith(AZURE_ROLES.acrPull)));
    });

    it("a custom domain: added and certified first, bound with SNI in the second step; hosts and origins include it", async () => {
        const domain = "mlflow.example.com";
        const step1 = await runProgram("prod", azureConfig({ "mlflow:azure": { customDomain: domain } }), ["mlflow:adminPassword"]);
        const a1 = containerApp(step1);
        assert.deepStrictEqual(a1.configuration.ingress.customDomains, [{ name: domain, bindingType: "Disabled" }]);
        const cert = step1.one("azure-native:app:ManagedCertificate").inputs as { properties: { subjectName: string; domainControlValidation: string } };
        assert.deepStrictEqual(cert.properties, { subjectName: domain, domainControlValidation: "CNAME" });
        const hosts = argValue(a1.container.args, "--allowed-hosts")!.split(",");
        assert.ok(hosts.includes(domain) && hosts.includes(`${domain}:*`));
        assert.ok(argValue(a1.container.args, "--cors-allowed-origins")!.split(",").includes(`https://${domain}`));
        assert.match(String(step1.outputs.url), /azurecontainerapps\.io$/, "the default FQDN until the certificate is bound");

        const step2 = await runProgram("prod", azureConfig({ "mlflow:azure": { customDomain: domain, bindCustomDomain: true } }), ["mlflow:adminPassword"]);
        assert.deepStrictEqual(containerApp(step2).configuration.ingress.customDomains, [{ name: domain, bindingType: "SniEnabled", certificateId: "mlflow-prod-platform-cert-id" }]);
        assert.strictEqual(step2.outputs.url, `https://${domain}`);
    });
});

describe("azure: data protection", () => {
    it("prod protects and retains the database, storage account and Key Vault; staging does not", async () => {
        const { AzurePostgresBackend } = await import("../../components/backend/azurePostgres");
        const { AzureSecrets } = await import("../../components/platform/azure/keyVault");
        const { AzureBlobArtifacts } = await import("../../components/artifacts/azureBlob");
        const { parseConfig: parse } = await import("../../components/config/parse");
        await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: () => ({}) }, "mlflow", "prod", false);
        for (const protectData of [true, false]) {
            const spec = parse(input(protectData ? "prod" : "staging", AZURE)).spec;
            const pg = new AzurePostgresBackend(`pg-${protectData}`, {
                spec: spec.backend as never,
                namePrefix: spec.namePrefix,
                sso: false,
                resourceGroupName: "rg",
                location: "westeurope",
                vnetId: "vnet",
                delegatedSubnetId: "subnet",
                protectData,
            });
            const secrets = new AzureSecrets(`kv-${protectData}`, {
                project: "mlflow", stack: spec.stack, resourceGroupName: "rg", location: "westeurope", tenantId: "t", subscriptionId: "s",
                secretEnv: { A: "b" }, readerPrincipalId: "p", protectData,
            });
            const blob = new AzureBlobArtifacts(`blob-${protectData}`, {
                spec: { type: "azure-blob", container: "mlflow-artifacts", existingContainer: false, prefix: "p", location: "westeurope", resourceGroup: "rg" },
                project: "mlflow", stack: spec.stack, namePrefix: spec.namePrefix, useAccountKey: false, protectData,
            });
            for (const [what, r] of [["database", pg.server], ["key vault", secrets.vault], ["storage account", blob.account!]] as const) {
                const internal = r as unknown as { __protect?: boolean };
                assert.strictEqual(!!internal.__protect, protectData, `${what} protect=${protectData}`);
            }
        }
    });
});
