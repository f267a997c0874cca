// Stand-ins for what Azure computes (platform azure), for runs under Pulumi mocks.

export const MOCK_AZURE_SUBSCRIPTION = "00000000-0000-4000-8000-000000000001";
export const MOCK_AZURE_TENANT = "00000000-0000-4000-8000-000000000002";
/** The unique part Azure gives a Container Apps environment's default domain. */
export const MOCK_AZURE_ENV_UNIQUE = "happyhill-1a2b3c4d";

const s = (v: unknown) => String(v);
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";

/** An input object, unwrapped if the engine passed it as a secret (it then holds a secret inside). */
function plainObject(v: unknown): Record<string, unknown> {
    const o = (v ?? {}) as Record<string, unknown>;
    return SECRET_SIG_KEY in o ? ((o.value ?? {}) as Record<string, unknown>) : o;
}

export function azureResourceState(type: string, _name: string, inputs: Record<string, unknown>): Record<string, unknown> | undefined {
    if (!type.startsWith("azure-native:")) {
        return undefined;
    }
    switch (type) {
        case "azure-native:app:ManagedEnvironment":
            return { ...inputs, name: inputs.environmentName, defaultDomain: `${MOCK_AZURE_ENV_UNIQUE}.${s(inputs.location)}.azurecontainerapps.io`, staticIp: "20.0.0.10" };
        case "azure-native:app:ContainerApp":
            return { ...inputs, name: inputs.containerAppName, latestRevisionName: `${s(inputs.containerAppName)}--rev1` };
        case "azure-native:app:Job":
            return { ...inputs, name: inputs.jobName };
        case "azure-native:monitor:ActionGroup":
            return { ...inputs, name: inputs.actionGroupName };
        case "azure-native:monitor:MetricAlert":
            return { ...inputs, name: inputs.ruleName };
        case "azure-native:app:ManagedCertificate":
            return { ...inputs, name: inputs.managedCertificateName };
        case "azure-native:managedidentity:UserAssignedIdentity":
            return { ...inputs, name: inputs.resourceName, clientId: "11111111-1111-4111-8111-111111111111", principalId: "22222222-2222-4222-8222-222222222222", tenantId: MOCK_AZURE_TENANT };
        case "azure-native:keyvault:Vault":
            return { ...inputs, name: inputs.vaultName, properties: { ...plainObject(inputs.properties), vaultUri: `https://${s(inputs.vaultName)}.vault.azure.net/` } };
        case "azure-native:keyvault:Secret": {
            const uri = `https://${s(inputs.vaultName)}.vault.azure.net/secrets/${s(inputs.secretName)}`;
            return { ...inputs, name: inputs.secretName, properties: { ...plainObject(inputs.properties), secretUri: uri, secretUriWithVersion: `${uri}/0123456789abcdef0123456789abcdef` } };
        }
        case "azure-native:containerregistry:Registry":
            return { ...inputs, name: inputs.registryName, loginServer: `${s(inputs.registryName)}.azurecr.io` };
        case "azure-native:dbforpostgresql:Server":
            return { ...inputs, name: inputs.serverName, fullyQualifiedDomainName: `${s(inputs.serverName)}.postgres.database.azure.com` };
        case "azure-native:dbforpostgresql:Database":
            return { ...inputs, name: inputs.databaseName };
        case "azure-native:operationalinsights:Workspace":
            return { ...inputs, name: inputs.workspaceName, customerId: "33333333-3333-4333-8333-333333333333" };
        case "azure-native:network:VirtualNetwork":
            return { ...inputs, name: inputs.virtualNetworkName };
        case "azure-native:privatedns:PrivateZone":
            return { ...inputs, name: inputs.privateZoneName };
        case "azure-native:privatedns:VirtualNetworkLink":
            return { ...inputs, name: inputs.virtualNetworkLinkName };
        default:
            return undefined;
    }
}

export function azureCall(token: string, _inputs: Record<string, unknown>): Record<string, unknown> | undefined {
    switch (token) {
        case "azure-native:authorization:getClientConfig":
            return { clientId: "44444444-4444-4444-8444-444444444444", objectId: "55555555-5555-4555-8555-555555555555", subscriptionId: MOCK_AZURE_SUBSCRIPTION, tenantId: MOCK_AZURE_TENANT };
        case "azure-native:authorization:getClientToken":
            return { token: "mock-entra-access-token" };
        case "azure-native:operationalinsights:getSharedKeys":
            return { primarySharedKey: "mock-workspace-shared-key", secondarySharedKey: "mock-workspace-shared-key-2" };
        default:
            return undefined;
    }
}
