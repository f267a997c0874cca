import * as rds from "@pulumi/aws/rds";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
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
}

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

    constructor(name: string, args: RdsBackendArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:backend:Rds", name, {}, opts);
        const { spec } = args;
        const parent = { parent: this };

        // RDS refuses / @ " and space in master passwords.
        const password = pulumi.secret(
            args.password ?? new random.RandomPassword(`${name}-password`, { length: 32, special: true, overrideSpecial: "!#%&*-_+=:?" }, parent).result,
        );
        const suffix = new random.RandomString(`${name}-suffix`, { length: SUFFIX_LENGTH, special: false, upper: false }, parent);
        const subnets = new rds.SubnetGroup(`${name}-subnets`, { subnetIds: args.subnetIds, description: `${args.namePrefix} MLflow database` }, parent);

        this.instance = new rds.Instance(
            `${name}-db`,
            {
                identifierPrefix: `${args.namePrefix}-`,
                engine: "postgres",
                engineVersion: RDS_POSTGRES_MAJOR,
                allowMajorVersionUpgrade: false,
                autoMinorVersionUpgrade: true,
                instanceClass: spec.instanceClass,
                allocatedStorage: spec.allocatedStorageGb,
                maxAllocatedStorage: spec.maxAllocatedStorageGb,
                storageType: "gp3",
                storageEncrypted: true,
                dbName: spec.database,
                username: spec.user,
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
            { parent: this, protect: args.protectData, retainOnDelete: args.protectData },
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
