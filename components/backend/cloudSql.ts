import * as gcpSql from "@pulumi/gcp/sql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CLOUD_SQL_DATABASE_VERSION, CloudSqlBackendSpec } from "../config/gcp";
import { SUFFIX_LENGTH } from "../naming";
import { oidcDatabaseName, postgresBackendContract } from "../stores/contracts";
import { BackendStoreContract, withSecretUris } from "../stores/types";

export interface CloudSqlBackendArgs {
    spec: CloudSqlBackendSpec;
    project: string;
    region: string;
    stack: string;
    /** Instance name before its random suffix. */
    instanceBaseName: string;
    /** `projects/<p>/global/networks/<n>` with private services access. */
    privateNetwork: pulumi.Input<string>;
    /** mlflow:dbPassword; generated when absent. */
    password?: pulumi.Output<string>;
    protectData: boolean;
    /** Single sign-on is on: its database is created beside the others. */
    sso: boolean;
    /** The private services peering the instance needs before it can get a private IP. */
    dependsOn?: pulumi.Input<pulumi.Resource[]>;
}

/** Appends `sslmode=require`: the instance accepts encrypted connections only. */
export function requireTls(uri: string): string {
    return `${uri}${uri.includes("?") ? "&" : "?"}sslmode=require`;
}

/**
 * Cloud SQL for PostgreSQL (pinned major version, Enterprise edition) with a private IP only
 * (no public IPv4), TLS required, automated backups and point-in-time recovery as configured,
 * regional HA as configured, deletion protection on prod; a database for MLflow, one for the
 * basic-auth app, and the user MLflow connects as.
 */
export class CloudSqlBackend extends pulumi.ComponentResource {
    readonly contract: BackendStoreContract;
    readonly instance: gcpSql.DatabaseInstance;
    readonly connectionName: pulumi.Output<string>;
    /** `<private IP>:5432`. */
    readonly endpoint: pulumi.Output<string>;

    constructor(name: string, args: CloudSqlBackendArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:backend:CloudSql", name, {}, opts);
        const { spec } = args;
        const protect = { protect: args.protectData, retainOnDelete: args.protectData };

        // An instance name cannot be reused for a week after deletion: keep a random suffix.
        const suffix = new random.RandomString(`${name}-suffix`, { length: SUFFIX_LENGTH, special: false, upper: false }, { parent: this });
        this.instance = new gcpSql.DatabaseInstance(
            `${name}-instance`,
            {
                project: args.project,
                region: args.region,
                name: pulumi.interpolate`${args.instanceBaseName}-${suffix.result}`,
                databaseVersion: CLOUD_SQL_DATABASE_VERSION,
                deletionProtection: args.protectData,
                settings: {
                    tier: spec.tier,
                    edition: "ENTERPRISE",
                    availabilityType: spec.highAvailability ? "REGIONAL" : "ZONAL",
                    diskType: "PD_SSD",
                    diskSize: spec.diskGb,
                    diskAutoresize: true,
                    deletionProtectionEnabled: args.protectData,
                    retainBackupsOnDelete: args.protectData,
                    ipConfiguration: {
                        ipv4Enabled: false,
                        privateNetwork: args.privateNetwork,
                        sslMode: "ENCRYPTED_ONLY",
                    },
                    backupConfiguration: {
                        enabled: spec.backups,
                        pointInTimeRecoveryEnabled: spec.pointInTimeRecovery,
                        transactionLogRetentionDays: spec.pointInTimeRecovery ? 7 : undefined,
                        startTime: "02:00",
                        backupRetentionSettings: { retainedBackups: spec.backupRetentionDays, retentionUnit: "COUNT" },
                    },
                    maintenanceWindow: { day: 7, hour: 3, updateTrack: "stable" },
                    userLabels: { "mlflow-stack": args.stack.toLowerCase().replace(/[^a-z0-9_-]/g, "-") },
                },
            },
            { parent: this, dependsOn: args.dependsOn, ...protect },
        );

        const password =
            args.password ?? new random.RandomPassword(`${name}-password`, { length: 32, special: true, overrideSpecial: "-_.~!" }, { parent: this }).result;
        const user = new gcpSql.User(
            `${name}-user`,
            // ABANDON: dropping a role that owns MLflow's tables fails; the instance owns its users anyway.
            { project: args.project, instance: this.instance.name, name: spec.user, password: pulumi.secret(password), deletionPolicy: "ABANDON" },
            { parent: this },
        );
        const databases: [string, string][] = [["db", spec.database], ["auth-db", spec.authDatabase]];
        if (args.sso) {
            databases.push(["oidc-db", oidcDatabaseName(spec.authDatabase)]);
        }
        for (const [key, database] of databases) {
            new gcpSql.Database(
                `${name}-${key}`,
                { project: args.project, instance: this.instance.name, name: database, deletionPolicy: args.protectData ? "ABANDON" : "DELETE" },
                { parent: this, dependsOn: [user], ...protect },
            );
        }

        const base = postgresBackendContract({
            host: this.instance.privateIpAddress,
            port: 5432,
            user: spec.user,
            password: pulumi.secret(password),
            database: spec.database,
            authDatabase: spec.authDatabase,
        });
        this.contract = withSecretUris(base, requireTls);
        this.connectionName = this.instance.connectionName;
        this.endpoint = pulumi.interpolate`${this.instance.privateIpAddress}:5432`;
        this.registerOutputs({ connectionName: this.connectionName, endpoint: this.endpoint });
    }
}
