import * as pulumi from "@pulumi/pulumi";
import { LocalArtifactsSpec } from "../config/spec";
import { localArtifactsContract } from "../stores/contracts";
import { ArtifactStoreContract } from "../stores/types";

/** Artifacts in a directory on the platform's data volume (Docker only). */
export class LocalArtifacts extends pulumi.ComponentResource {
    readonly contract: ArtifactStoreContract;
    readonly destination: pulumi.Output<string>;

    constructor(name: string, args: { spec: LocalArtifactsSpec }, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:artifacts:Local", name, {}, opts);
        this.contract = localArtifactsContract(args.spec.path, args.spec.prefix);
        this.destination = pulumi.output(this.contract.destination);
        this.registerOutputs({ destination: this.destination });
    }
}
