import * as rds from "@pulumi/aws/rds";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { RestoreSpec } from "../config/operations";
import { RdsBackendSpec } from "../config/spec";
import { postgresBackendContract } from "../stores/contracts";
import { BackendStoreContract, withSecretUris } from "../stores/types";
import { RDS_POSTGRES_MAJOR } from "../versions";
import { SUFFIX_LENGTH } from "../naming";

export interface RdsBackendArgs {
    spec: RdsBackendSpec;
    namePrefix: string;
    /** Private subnets in at least two zones. */
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Admits PostgreSQL from the MLflow tasks only. */
    securityGroupId: pulumi.Input<string>;
    /** `mlflow:dbPassword`, or generated. */
    password?: pulumi.Output<string>;
    protectData: boolean;
    /** mlflow:restore: create the instance from a snapshot or from another instance's point in time. */
    restore?: RestoreSpec;
}

/**
 * The instance inputs of mlflow:restore. A restored instance takes its database, master user name,
 * engine version and storage size from the source (RDS refuses some of them with a restore, and a
 * smaller size than the source's fails), so those are left out; the master password is still
 * the stack's: the provider resets it right after either restore.
 */
export function restoreInputs(restore: RestoreSpec | undefined): Partial<rds.InstanceArgs> | undefined {
    if (!restore) return undefined;
    switch (restore.type) {
        case "snapshot":
            return { snapshotIdentifier: restore.snapshot };
        case "pointInTime":
            return {
                restoreToPointInTime: {
                    sourceDbInstanceIdentifier: restore.source,
                    ...(restore.time === "latest" ? { useLatestRestorableTime: true } : { restoreTime: restore.time }),
                },
            };
        default:
            throw new Error(`mlflow:restore type ${restore.type} has no RDS form (snapshot or pointInTime)`);
    }
}

/** A restore's inputs only count when the instance is created: changing or removing mlflow:restore later never replaces the database. */
export const RESTORE_INPUTS = ["snapshotIdentifier", "restoreToPointInTime"];

/**
 * Amazon RDS for PostgreSQL in private subnets: encrypted, never public, backed up; on prod
 * Multi-AZ, deletion-protected, with a final snapshot, `protect`ed and kept on stack destroy.
 * The auth database is created beside the tracking one by the server's entrypoint.
 */
export class RdsBackend extends pulumi.ComponentResource {
    readonly contract: BackendStoreContract;
    readonly instance: rds.Instance;
    /** host:port */
    readonly endpoint: pulumi.Output<string>;
    /** The configured storage (a restored instance starts with its source's). */
    readonly allocatedStorageGb: number;

    constructor(name: string, args: RdsBackendArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:backend:Rds", name, {}, opts);
        const { spec } = args;
        const parent = { parent: this };
        this.allocatedStorageGb = spec.allocatedStorageGb;

        // RDS refuses / @ " and space in master passwords.
        const password = pulumi.secret(
            args.password ?? new random.RandomPassword(`${name}-password`, { length: 32, special: true, overrideSpecial: "!#%&*-_+=:?" }, parent).result,
        );
        const suffix = new random.RandomString(`${name}-suffix`, { length: SUFFIX_LENGTH, special: false, upper: false }, parent);
        const subnets = new rds.SubnetGroup(`${name}-subnets`, { subnetIds: args.subnetIds, description: `${args.namePrefix} MLflow database` }, parent);

        const restore = restoreInputs(args.restore);
        // A new, empty instance; a restored one takes these from its source.
        const created: Partial<rds.InstanceArgs> = { dbName: spec.database, username: spec.user, engineVersion: RDS_POSTGRES_MAJOR, allocatedStorage: spec.allocatedStorageGb };
        this.instance = new rds.Instance(
            `${name}-db`,
            {
                identifierPrefix: `${args.namePrefix}-`,
                engine: "postgres",
                ...(restore ?? created),
                allowMajorVersionUpgrade: false,
                autoMinorVersionUpgrade: true,
                instanceClass: spec.instanceClass,
                maxAllocatedStorage: spec.maxAllocatedStorageGb,
                storageType: "gp3",
                storageEncrypted: true,
                password,
                port: 5432,
                dbSubnetGroupName: subnets.name,
                vpcSecurityGroupIds: [args.securityGroupId],
                publiclyAccessible: false,
                multiAz: spec.multiAz,
                backupRetentionPeriod: spec.backupRetentionDays,
                copyTagsToSnapshot: true,
                deletionProtection: args.protectData,
                skipFinalSnapshot: !args.protectData,
                finalSnapshotIdentifier: args.protectData ? pulumi.interpolate`${args.namePrefix}-final-${suffix.result}` : undefined,
                deleteAutomatedBackups: !args.protectData,
                // Changes wait for the maintenance window instead of restarting the database now.
                applyImmediately: !args.protectData,
                enabledCloudwatchLogsExports: ["postgresql"],
                tags: { Name: `${args.namePrefix}-db`, "mlflow-stack": args.namePrefix },
            },
            { parent: this, protect: args.protectData, retainOnDelete: args.protectData, ignoreChanges: RESTORE_INPUTS },
        );

        const contract = postgresBackendContract({
            host: this.instance.address,
            port: 5432,
            user: spec.user,
            password,
            database: spec.database,
            authDatabase: spec.authDatabase,
        });
        this.contract = withSecretUris(contract);
        this.endpoint = pulumi.interpolate`${this.instance.address}:${this.instance.port}`;
        this.registerOutputs({ endpoint: this.endpoint });
    }
}
