import * as authorization from "@pulumi/azure-native/authorization";
import * as dbforpostgresql from "@pulumi/azure-native/dbforpostgresql";
import * as privatedns from "@pulumi/azure-native/privatedns";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { AzurePostgresBackendSpec } from "../config/azure";
import { postgresServerName, resourceName, SUFFIX_LENGTH } from "../naming";
import { RestoredServerSettingsResource, restoreTag } from "../platform/azure/postgresRestore";
import { oidcDatabaseName, postgresBackendContract } from "../stores/contracts";
import { BackendStoreContract, withSecretUris } from "../stores/types";

export const AZURE_POSTGRES_PORT = 5432;

export interface AzurePostgresBackendArgs {
    spec: AzurePostgresBackendSpec;
    namePrefix: string;
    resourceGroupName: pulumi.Input<string>;
    location: string;
    /** The virtual network the server's private DNS zone is linked to. */
    vnetId: pulumi.Input<string>;
    /** A subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers. */
    delegatedSubnetId: pulumi.Input<string>;
    protectData: boolean;
    /** Single sign-on is on: its database is created beside the others. */
    sso: boolean;
    /** mlflow:restore (pointInTime): the server is a point-in-time restore of `source` at `time` (UTC). */
    restore?: { source: string; time: string };
}

/**
 * Azure Database for PostgreSQL Flexible Server with private access only: in a delegated subnet,
 * resolved through its own private DNS zone, public network access disabled. Backups with a
 * retention (geo-redundant by config), zone-redundant high availability by config, one database
 * for MLflow and one for the basic-auth app. With mlflow:restore, a point-in-time restore of
 * another Flexible Server instead, brought to the stack's password and settings afterwards.
 */
export class AzurePostgresBackend extends pulumi.ComponentResource {
    readonly contract: BackendStoreContract;
    readonly server: dbforpostgresql.Server;
    readonly fqdn: pulumi.Output<string>;
    /** host:port, for the stack output. */
    readonly endpoint: pulumi.Output<string>;
    readonly uri: pulumi.Output<string>;

    constructor(name: string, args: AzurePostgresBackendArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:backend:AzurePostgres", name, {}, opts);
        const { spec } = args;
        const dataOpts = { parent: this, protect: args.protectData, retainOnDelete: args.protectData };

        const zone = new privatedns.PrivateZone(
            `${name}-dns`,
            // A Flexible Server's private zone must end in .postgres.database.azure.com.
            { privateZoneName: `${resourceName(args.namePrefix, "pg")}.private.postgres.database.azure.com`, resourceGroupName: args.resourceGroupName, location: "global" },
            { parent: this },
        );
        const link = new privatedns.VirtualNetworkLink(
            `${name}-dns-link`,
            {
                privateZoneName: zone.name,
                resourceGroupName: args.resourceGroupName,
                virtualNetworkLinkName: resourceName(args.namePrefix, "vnet-link"),
                location: "global",
                virtualNetwork: { id: args.vnetId },
                registrationEnabled: false,
            },
            { parent: this },
        );

        // Letters and digits only: no percent-encoding surprises, and it meets Azure's complexity rule.
        const password = new random.RandomPassword(
            `${name}-password`,
            { length: 32, special: false, minUpper: 2, minLower: 2, minNumeric: 2 },
            { parent: this },
        ).result;
        const suffix = new random.RandomString(`${name}-suffix`, { length: SUFFIX_LENGTH, special: false, upper: false }, { parent: this });

        const restore = args.restore;
        const serverName = suffix.result.apply((s) => postgresServerName(args.namePrefix, restore ? `${s}${restoreTag(restore.source, restore.time)}` : s));
        const network = {
            delegatedSubnetResourceId: args.delegatedSubnetId,
            privateDnsZoneArmResourceId: zone.id,
            publicNetworkAccess: "Disabled",
        };
        // The zone must be linked to the network before the server registers its record.
        const serverOpts = { ...dataOpts, dependsOn: [link] };
        let ready: pulumi.Input<string>[];
        if (restore) {
            // A point-in-time restore takes version, size, storage, backup redundancy, the
            // administrator login and password and every database from the source: Azure ignores
            // them here. A resource of its own, with a name of its own, so that setting
            // mlflow:restore on an existing stack creates the restored server beside the old one
            // and never restores from a server it has just deleted.
            this.server = new dbforpostgresql.Server(
                `${name}-restored-server`,
                {
                    serverName,
                    resourceGroupName: args.resourceGroupName,
                    location: args.location,
                    createMode: "PointInTimeRestore",
                    sourceServerResourceId: restore.source,
                    pointInTimeUTC: restore.time,
                    network,
                },
                serverOpts,
            );
            // The source's password would not match the URIs in Key Vault: the program's is set
            // after the restore, with what else the stack configures and the restore does not keep.
            const token = authorization.getClientTokenOutput({}, { parent: this });
            const settings = new RestoredServerSettingsResource(
                `${name}-restored-settings`,
                {
                    serverId: this.server.id,
                    password,
                    skuName: spec.skuName,
                    tier: spec.tier,
                    storageGb: spec.storageGb,
                    backupRetentionDays: spec.backupRetentionDays,
                    highAvailability: spec.highAvailability ? "ZoneRedundant" : "Disabled",
                    token: token.token,
                },
                { parent: this },
            );
            // The databases came with the restore (creating them would fail: they exist); one the
            // source lacked (auth, single sign-on) is created by the server's entrypoint.
            ready = [settings.id];
        } else {
            this.server = new dbforpostgresql.Server(
                `${name}-server`,
                {
                    serverName,
                    resourceGroupName: args.resourceGroupName,
                    location: args.location,
                    version: spec.version,
                    administratorLogin: spec.user,
                    administratorLoginPassword: pulumi.secret(password),
                    authConfig: { passwordAuth: "Enabled", activeDirectoryAuth: "Disabled" },
                    sku: { name: spec.skuName, tier: spec.tier },
                    storage: { storageSizeGB: spec.storageGb, autoGrow: "Enabled" },
                    backup: { backupRetentionDays: spec.backupRetentionDays, geoRedundantBackup: spec.geoRedundantBackup ? "Enabled" : "Disabled" },
                    highAvailability: { mode: spec.highAvailability ? "ZoneRedundant" : "Disabled" },
                    network,
                    createMode: "Create",
                },
                serverOpts,
            );
            const names = [spec.database, spec.authDatabase, ...(args.sso ? [oidcDatabaseName(spec.authDatabase)] : [])];
            ready = names.map(
                (database) =>
                    new dbforpostgresql.Database(
                        `${name}-db-${database.replace(/_/g, "-")}`,
                        { databaseName: database, serverName: this.server.name, resourceGroupName: args.resourceGroupName, charset: "UTF8", collation: "en_US.utf8" },
                        dataOpts,
                    ).id,
            );
        }

        this.fqdn = this.server.fullyQualifiedDomainName.apply((f) => f ?? "");
        this.endpoint = pulumi.interpolate`${this.fqdn}:${AZURE_POSTGRES_PORT}`;
        // The URI names the host only once every database exists (or, restored, the password is
        // the program's), so the server never starts against a database it cannot use.
        const host = pulumi.all([this.fqdn, ...ready]).apply(([fqdn]) => fqdn);
        const contract = postgresBackendContract({
            host,
            port: AZURE_POSTGRES_PORT,
            user: spec.user,
            password: pulumi.secret(password),
            database: spec.database,
            authDatabase: spec.authDatabase,
        });
        this.contract = withSecretUris(contract);
        this.uri = this.contract.uri as pulumi.Output<string>;
        this.registerOutputs({ endpoint: this.endpoint, serverName: this.server.name });
    }
}
