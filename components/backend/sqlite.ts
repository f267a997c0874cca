import * as pulumi from "@pulumi/pulumi";
import { SqliteBackendSpec } from "../config/spec";
import { sqliteBackendContract } from "../stores/contracts";
import { BackendStoreContract } from "../stores/types";

/** SQLite on the platform's data volume: one replica, no network. */
export class SqliteBackend extends pulumi.ComponentResource {
    readonly contract: BackendStoreContract;
    readonly uri: pulumi.Output<string>;

    constructor(name: string, args: { spec: SqliteBackendSpec }, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:backend:Sqlite", name, {}, opts);
        this.contract = sqliteBackendContract(args.spec);
        this.uri = pulumi.secret(pulumi.output(this.contract.uri));
        this.registerOutputs({ uri: this.uri });
    }
}
