import * as gcpProjects from "@pulumi/gcp/projects";
import * as pulumi from "@pulumi/pulumi";

export interface GcpApisArgs {
    project: string;
    apis: string[];
}

/** Enables the APIs the deployment uses. They stay enabled on destroy (other workloads may need them). */
export class GcpApis extends pulumi.ComponentResource {
    readonly services: gcpProjects.Service[];

    constructor(name: string, args: GcpApisArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:GcpApis", name, {}, opts);
        this.services = args.apis.map(
            (api) =>
                new gcpProjects.Service(
                    `${name}-${api.split(".")[0]}`,
                    { project: args.project, service: api, disableOnDestroy: false, disableDependentServices: false },
                    { parent: this },
                ),
        );
        this.registerOutputs({ apis: args.apis });
    }
}
