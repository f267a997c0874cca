import * as pulumi from "@pulumi/pulumi";
import { PostgresBackendSpec } from "../config/spec";
import { externalPostgresBackendContract } from "../stores/contracts";
import { BackendStoreContract, withSecretUris } from "../stores/types";

/** A PostgreSQL server the user runs, given as the secret `mlflow:postgresUrl`. */
export class ExternalPostgresBackend extends pulumi.ComponentResource {
    readonly contract: BackendStoreContract;
    readonly uri: pulumi.Output<string>;

    constructor(
        name: string,
        args: { spec: PostgresBackendSpec; url: pulumi.Output<string> },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("mlflow:backend:ExternalPostgres", name, {}, opts);
        const contract = externalPostgresBackendContract(pulumi.secret(args.url), args.spec.authDatabase);
        this.contract = withSecretUris(contract);
        this.uri = this.contract.uri as pulumi.Output<string>;
        this.registerOutputs({ uri: this.uri });
    }
}
