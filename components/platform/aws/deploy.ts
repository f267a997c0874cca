// AWS: RDS PostgreSQL (or an external server), S3 artifacts through the task role, the server
// on ECS Fargate behind an ALB (with mlflow:jobRunner "dedicated", a one-task job-runner service
// beside it), every secret in Secrets Manager; mlflow gc on a schedule and, with mlflow:alerts,
// alarms to an SNS topic.
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as pulumi from "@pulumi/pulumi";
import { signInRequired } from "../../config/access";
import { createArtifactStore } from "../../artifacts/select";
import { S3Artifacts } from "../../artifacts/s3";
import { ExternalPostgresBackend } from "../../backend/externalPostgres";
import { RdsBackend } from "../../backend/rds";
import { defaultFargateMemory } from "../../config/aws";
import { footprintMiB } from "../../config/footprint";
import { DeploymentSpec } from "../../config/spec";
import { buildServerContract } from "../../contract";
import { gcJobContract } from "../../opsContract";
import { BackendStoreContract } from "../../stores/types";
import { PlatformContext, PlatformResult } from "../types";
import { AwsAlerts } from "./alerts";
import { AwsGcJob } from "./gcJob";
import { AwsLoadBalancer } from "./loadBalancer";
import { AwsNetwork } from "./network";
import { awsPlatformFacts, hasTls, s3ArtifactPolicy } from "./policies";
import { AwsImage } from "./registry";
import { AwsSecrets } from "./secrets";
import { AwsService } from "./service";

export function deployOnAws(ctx: PlatformContext): PlatformResult {
    const { name, secrets, parent } = ctx;
    const aws = ctx.spec.aws;
    if (!aws) {
        throw new Error("platform aws needs the mlflow:aws settings (parseConfig fills them in)");
    }
    // A bucket the program creates lives in the provider's region: tell the server's S3 client.
    const spec: DeploymentSpec =
        ctx.spec.artifacts.type === "s3" && !ctx.spec.artifacts.region && !ctx.spec.artifacts.endpointUrl
            ? { ...ctx.spec, artifacts: { ...ctx.spec.artifacts, region: aws.region } }
            : ctx.spec;
    const opts = { parent };

    const network = new AwsNetwork(
        `${name}-network`,
        {
            spec: aws.network,
            namePrefix: spec.namePrefix,
            natGateway: aws.taskSubnets === "private" && !aws.network.vpcId,
            ingressCidrs: aws.ingressCidrs,
            https: hasTls(aws),
            database: spec.backend.type === "rds",
        },
        opts,
    );

    let backend: BackendStoreContract;
    let rds: RdsBackend | undefined;
    switch (spec.backend.type) {
        case "rds": {
            rds = new RdsBackend(
                `${name}-backend`,
                {
                    spec: spec.backend,
                    namePrefix: spec.namePrefix,
                    subnetIds: network.privateSubnetIds,
                    securityGroupId: network.dbSecurityGroup!.id,
                    password: secrets.dbPassword,
                    protectData: spec.protectData,
                    restore: spec.ops.restore,
                },
                opts,
            );
            backend = rds.contract;
            break;
        }
        case "postgres":
            // parseConfig allows only mode external off Docker.
            backend = new ExternalPostgresBackend(`${name}-backend`, { spec: spec.backend, url: secrets.postgresUrl! }, opts).contract;
            break;
        default:
            throw new Error(`backend ${spec.backend.type} does not run on platform aws`);
    }

    const { store, contract: artifacts } = createArtifactStore({ ...ctx, spec });
    const s3Store = store instanceof S3Artifacts && spec.artifacts.type === "s3" && !spec.artifacts.endpointUrl ? store : undefined;
    const artifactPolicy = s3Store && s3Store.bucketName.apply((bucket) => s3ArtifactPolicy(bucket, spec.artifacts.prefix));

    const loadBalancer = new AwsLoadBalancer(
        `${name}-lb`,
        { aws, namePrefix: spec.namePrefix, vpcId: network.vpcId, subnetIds: network.publicSubnetIds, securityGroupId: network.albSecurityGroup.id },
        opts,
    );

    const stores = { spec, backend, artifacts, platform: awsPlatformFacts(aws, loadBalancer.dnsName), auth: ctx.auth, sso: ctx.sso };
    const dedicated = spec.jobRunner === "dedicated";
    const contract = buildServerContract({ ...stores, role: dedicated ? "web" : "server" });
    const jobRunner = dedicated
        ? { contract: buildServerContract({ ...stores, role: "job-runner" }), memory: defaultFargateMemory(aws.cpu, footprintMiB(1, "dedicated", signInRequired(spec.auth), "job-runner", spec.auth.sso !== undefined)) }
        : undefined;
    const taskSecrets = new AwsSecrets(`${name}-secrets`, { namePrefix: spec.namePrefix, values: contract.secretEnv, protectData: spec.protectData }, opts);
    const image = new AwsImage(`${name}-image`, { source: contract.image, namePrefix: spec.namePrefix }, opts);

    const taskNetwork = { subnetIds: aws.taskSubnets === "public" ? network.publicSubnetIds : network.privateSubnetIds, securityGroupId: network.taskSecurityGroup.id };
    const service = new AwsService(
        `${name}-service`,
        {
            aws,
            namePrefix: spec.namePrefix,
            contract,
            imageRef: image.ref,
            secrets: taskSecrets,
            artifactPolicy,
            ...taskNetwork,
            targetGroupArn: loadBalancer.targetGroup.arn,
            dependsOn: [loadBalancer.listener],
            jobRunner,
        },
        opts,
    );

    // The account scopes the scheduler's trust and the alerts' key and topic policies.
    const identity = getCallerIdentityOutput({}, { parent });
    const account = identity.accountId;
    const gc = gcJobContract({ spec, backend, artifacts });
    const gcJob =
        gc &&
        new AwsGcJob(
            `${name}-gc`,
            {
                aws,
                namePrefix: spec.namePrefix,
                job: gc,
                imageRef: image.ref,
                serverSecrets: taskSecrets,
                serverSecretEnv: contract.secretEnv,
                protectData: spec.protectData,
                taskRole: service.taskRole,
                logGroupName: service.logGroup.name,
                cluster: service.cluster,
                ...taskNetwork,
                account,
            },
            opts,
        );
    if (spec.ops.alerts) {
        new AwsAlerts(
            `${name}-alerts`,
            {
                alerts: spec.ops.alerts,
                namePrefix: spec.namePrefix,
                region: aws.region,
                account,
                partition: identity.arn.apply((arn) => arn.split(":")[1]),
                loadBalancerArnSuffix: loadBalancer.arnSuffix,
                targetGroupArnSuffix: loadBalancer.targetGroup.arnSuffix,
                database: rds && { identifier: rds.instance.identifier, arn: rds.instance.arn, allocatedStorageGb: rds.allocatedStorageGb },
                gcJob: gcJob && { clusterArn: service.cluster.arn, taskFamilyArn: gcJob.taskDefinition.arnWithoutRevision },
            },
            opts,
        );
    }

    return {
        url: loadBalancer.url,
        contract,
        artifactDestination: pulumi.output(artifacts.destination),
        logs: service.logGroup.name,
        artifactStore: store instanceof S3Artifacts ? store.bucketName : undefined,
        databaseEndpoint: rds?.endpoint,
    };
}
