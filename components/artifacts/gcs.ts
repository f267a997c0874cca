import * as gcpStorage from "@pulumi/gcp/storage";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { GcsArtifactsSpec } from "../config/spec";
import { gcsBucketName, SUFFIX_LENGTH } from "../naming";
import { gcsArtifactsContract } from "../stores/contracts";
import { ArtifactStoreContract } from "../stores/types";

export interface GcsArtifactsArgs {
    spec: GcsArtifactsSpec;
    project: string;
    stack: string;
    /** A service account key (JSON) for platforms without a Google identity (Docker). */
    credentialsJson?: pulumi.Output<string>;
    protectData: boolean;
}

/** A GCS bucket: created with uniform access, public access prevented and versioning, or an existing one. */
export class GcsArtifacts extends pulumi.ComponentResource {
    readonly contract: ArtifactStoreContract;
    readonly bucketName: pulumi.Output<string>;
    readonly destination: pulumi.Output<string>;
    readonly bucket?: gcpStorage.Bucket;

    constructor(name: string, args: GcsArtifactsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:artifacts:Gcs", name, {}, opts);
        const { spec } = args;
        if (spec.bucket) {
            this.bucketName = pulumi.output(spec.bucket);
        } else {
            const suffix = new random.RandomString(`${name}-suffix`, { length: SUFFIX_LENGTH, special: false, upper: false }, { parent: this });
            this.bucket = new gcpStorage.Bucket(
                `${name}-bucket`,
                {
                    name: suffix.result.apply((s) => gcsBucketName(args.project, args.stack, s)),
                    location: spec.location,
                    uniformBucketLevelAccess: true,
                    publicAccessPrevention: "enforced",
                    versioning: { enabled: true },
                    forceDestroy: !args.protectData,
                    labels: { "mlflow-stack": args.stack.toLowerCase().replace(/[^a-z0-9_-]/g, "-") },
                },
                { parent: this, protect: args.protectData, retainOnDelete: args.protectData },
            );
            this.bucketName = this.bucket.name;
        }
        this.contract = gcsArtifactsContract({
            bucket: this.bucketName,
            prefix: spec.prefix,
            credentialsJson: args.credentialsJson && pulumi.secret(args.credentialsJson),
        });
        this.destination = pulumi.output(this.contract.destination);
        this.registerOutputs({ bucketName: this.bucketName, destination: this.destination });
    }
}
