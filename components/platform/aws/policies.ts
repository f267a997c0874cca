// IAM policy documents and platform facts of the AWS platform. Pure: unit-tested without mocks.
import { AwsSpec } from "../../config/aws";
import { CONTAINER_PORT, PlatformFacts } from "../../contract";
import { concat, Value } from "../../stores/types";

interface PolicyStatement {
    Sid: string;
    Effect: "Allow";
    Action: string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string[]>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

/** Read/write on the artifact prefix of one bucket, and listing limited to that prefix. */
export function s3ArtifactPolicy(bucket: string, prefix: string): PolicyDocument {
    const p = prefix.replace(/^\/+|\/+$/g, "");
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ListArtifactPrefix",
                Effect: "Allow",
                Action: ["s3:ListBucket", "s3:ListBucketMultipartUploads"],
                Resource: `arn:aws:s3:::${bucket}`,
                Condition: { StringLike: { "s3:prefix": [p, `${p}/*`] } },
            },
            {
                Sid: "ReadWriteArtifacts",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                Resource: `arn:aws:s3:::${bucket}/${p}/*`,
            },
        ],
    };
}

/** The execution role may read exactly these secrets, to hand them to the container. */
export function secretsReadPolicy(secretArns: string[]): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{ Sid: "ReadTaskSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [...secretArns].sort() }],
    };
}

/** Trust policy: only ECS tasks may assume the role. */
export const ECS_TASKS_TRUST: object = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
};

/** Uvicorn keeps idle connections this much longer than the load balancer, so the balancer closes first. */
export const KEEP_ALIVE_MARGIN_SECONDS = 15;

/**
 * The names the server is reached by: the load balancer's DNS name and the custom domain, over
 * HTTPS when TLS is configured.
 */
export function awsPlatformFacts(aws: AwsSpec, albDnsName: Value): PlatformFacts {
    const scheme = hasTls(aws) ? "https" : "http";
    const hosts: Value[] = [albDnsName];
    const origins: Value[] = [concat(`${scheme}://`, albDnsName)];
    if (aws.tls.domain) {
        hosts.unshift(aws.tls.domain);
        origins.unshift(`${scheme}://${aws.tls.domain}`);
    }
    return {
        listenPort: CONTAINER_PORT,
        servedHosts: hosts,
        servedOrigins: origins,
        keepAliveSeconds: aws.idleTimeoutSeconds + KEEP_ALIVE_MARGIN_SECONDS,
        publicOrigin: origins[0],
        https: hasTls(aws),
    };
}

export function hasTls(aws: AwsSpec): boolean {
    return aws.tls.certificateArn !== undefined || (aws.tls.domain !== undefined && aws.tls.hostedZoneId !== undefined);
}
