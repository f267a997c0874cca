import * as gcpSql from "@pulumi/gcp/sql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CLOUD_SQL_DATABASE_VERSION, CloudSqlBackendSpec } from "../config/gcp";
import { RestoreSpec } from "../config/operations";
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
    /** mlflow:restore: the instance starts as a copy of a backup or a point in time of another instance. */
    restore?: RestoreSpec;
}

/** What a restored instance is created from: a backup run, or a clone (point-in-time recovery). */
export type CloudSqlRestoreInputs = Pick<gcpSql.DatabaseInstanceArgs, "restoreBackupContext" | "clone">;

/**
 * mlflow:restore as Cloud SQL's own inputs: type backup restores a backup run of `source` into the
 * new instance (restoreBackupContext); type pointInTime clones `source` as it was at `time`
 * (point-in-time recovery always makes a new instance), or as it is now for "latest".
 */
export function restoreInputs(restore: RestoreSpec, project: string): CloudSqlRestoreInputs {
    switch (restore.type) {
        case "backup": {
            const backupRunId = Number(restore.backupId);
            if (!Number.isSafeInteger(backupRunId)) {
                throw new Error(`mlflow:restore.backupId ${restore.backupId} is larger than a backup run ID can be`);
            }
            return { restoreBackupContext: { backupRunId, instanceId: restore.source, project } };
        }
        case "pointInTime":
            return { clone: { sourceInstanceName: restore.source, ...(restore.time === "latest" ? {} : { pointInTime: restore.time }) } };
        default:
            throw new Error(`mlflow:restore type ${restore.type} is not a Cloud SQL restore (backup or pointInTime)`);
    }
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
 *
 * With mlflow:restore the instance is created from the source's backup or point in time instead.
 * A restore brings the source's databases and users along (with the user's password), so the
 * program creates neither: `pulumi up` never meets an "already exists", and the server connects as
 * the restored user with mlflow:dbPassword, which must be the source's password. The restored
 * instance is a resource of its own name in the stack, restored once when it is created: setting
 * or changing mlflow:restore later never restores over live data (README: Operations).
 */
export class CloudSqlBackend extends pulumi.ComponentResource {
    readonly contract: BackendStoreContract;
    readonly instance: gcpSql.DatabaseInstance;
    readonly connectionName: pulumi.Output<string>;
    /** `<private IP>:5432`. */
    readonly endpoint: pulumi.Output<string>;

    constructor(name: string, args: CloudSqlBackendArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:backend:CloudSql", name, {}, opts);
        const { spec, restore } = args;
        const protect = { protect: args.protectData, retainOnDelete: args.protectData };
        if (restore && args.password === undefined) {
            // parseConfig asks for it first; this guards programmatic use of the component.
            throw new Error("mlflow:restore needs mlflow:dbPassword: the password of the restored user, as the source instance has it");
        }

        // An instance name cannot be reused for a week after deletion: keep a random suffix.
        const suffix = new random.RandomString(`${name}-suffix`, { length: SUFFIX_LENGTH, special: false, upper: false }, { parent: this });
        this.instance = new gcpSql.DatabaseInstance(
            // Another resource than the stack's empty instance: mlflow:restore set on an existing
            // stack replaces nothing (protect stops prod's preview; the name is taken elsewhere).
            restore ? `${name}-restored-instance` : `${name}-instance`,
            {
                ...(restore ? restoreInputs(restore, args.project) : {}),
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
            // Restored once, at creation: a later change must not restore over the live instance.
            { parent: this, dependsOn: args.dependsOn, ...protect, ignoreChanges: restore ? ["restoreBackupContext", "clone"] : undefined },
        );

        const password =
            args.password ?? new random.RandomPassword(`${name}-password`, { length: 32, special: true, overrideSpecial: "-_.~!" }, { parent: this }).result;
        if (!restore) {
            this.createUserAndDatabases(name, args, pulumi.secret(password), protect);
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

    /** The user MLflow connects as, then its databases (the tracking one, basic auth's, SSO's). */
    private createUserAndDatabases(name: string, args: CloudSqlBackendArgs, password: pulumi.Output<string>, protect: pulumi.CustomResourceOptions): void {
        const { spec } = args;
        const user = new gcpSql.User(
            `${name}-user`,
            // ABANDON: dropping a role that owns MLflow's tables fails; the instance owns its users anyway.
            { project: args.project, instance: this.instance.name, name: spec.user, password, deletionPolicy: "ABANDON" },
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
    }
}
