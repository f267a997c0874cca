import * as s3 from "@pulumi/aws/s3";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { S3ArtifactsSpec } from "../config/spec";
import { s3BucketName, SUFFIX_LENGTH } from "../naming";
import { s3ArtifactsContract } from "../stores/contracts";
import { ArtifactStoreContract } from "../stores/types";

export interface S3ArtifactsArgs {
    spec: S3ArtifactsSpec;
    project: string;
    stack: string;
    /** Static keys for platforms without an AWS identity (Docker). */
    credentials?: { accessKeyId: pulumi.Output<string>; secretAccessKey: pulumi.Output<string> };
    protectData: boolean;
}

/** An S3 (or S3-compatible) bucket: created private, encrypted and versioned, or an existing one. */
export class S3Artifacts extends pulumi.ComponentResource {
    readonly contract: ArtifactStoreContract;
    readonly bucketName: pulumi.Output<string>;
    readonly destination: pulumi.Output<string>;
    readonly bucket?: s3.Bucket;

    constructor(name: string, args: S3ArtifactsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:artifacts:S3", name, {}, opts);
        const { spec } = args;

        if (spec.bucket) {
            this.bucketName = pulumi.output(spec.bucket);
        } else {
            const suffix = new random.RandomString(`${name}-suffix`, { length: SUFFIX_LENGTH, special: false, upper: false }, { parent: this });
            const dataOpts = { parent: this, protect: args.protectData, retainOnDelete: args.protectData };
            this.bucket = new s3.Bucket(
                `${name}-bucket`,
                { bucket: suffix.result.apply((s) => s3BucketName(args.project, args.stack, s)), forceDestroy: !args.protectData, tags: { "mlflow-stack": args.stack } },
                dataOpts,
            );
            const bucket = this.bucket.id;
            new s3.BucketOwnershipControls(`${name}-ownership`, { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent: this });
            new s3.BucketPublicAccessBlock(
                `${name}-public-access`,
                { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
                { parent: this },
            );
            new s3.BucketServerSideEncryptionConfiguration(
                `${name}-encryption`,
                { bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }] },
                { parent: this },
            );
            new s3.BucketVersioning(`${name}-versioning`, { bucket, versioningConfiguration: { status: "Enabled" } }, { parent: this });
            this.bucketName = this.bucket.bucket;
        }

        this.contract = s3ArtifactsContract({
            bucket: this.bucketName,
            prefix: spec.prefix,
            endpointUrl: spec.endpointUrl,
            region: spec.region,
            credentials: args.credentials && {
                accessKeyId: pulumi.secret(args.credentials.accessKeyId),
                secretAccessKey: pulumi.secret(args.credentials.secretAccessKey),
            },
        });
        this.destination = pulumi.output(this.contract.destination);
        this.registerOutputs({ bucketName: this.bucketName, destination: this.destination });
    }
}
