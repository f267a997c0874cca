import * as acm from "@pulumi/aws/acm";
import * as lb from "@pulumi/aws/lb";
import * as route53 from "@pulumi/aws/route53";
import * as pulumi from "@pulumi/pulumi";
import { AwsSpec } from "../../config/aws";
import { CONTAINER_PORT, HEALTH_PATH } from "../../contract";
import { hasTls } from "./policies";

/** A modern TLS policy: TLS 1.3 and 1.2 only. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export interface AwsLoadBalancerArgs {
    aws: AwsSpec;
    namePrefix: string;
    vpcId: pulumi.Input<string>;
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    securityGroupId: pulumi.Input<string>;
}

/**
 * An internet-facing ALB in front of the MLflow tasks. With a certificate (given, or requested
 * for `domain` and validated in its Route 53 zone) it serves HTTPS and redirects HTTP; without
 * one, plain HTTP.
 */
export class AwsLoadBalancer extends pulumi.ComponentResource {
    readonly dnsName: pulumi.Output<string>;
    /** `app/<name>/<id>`: the load balancer's CloudWatch dimension. */
    readonly arnSuffix: pulumi.Output<string>;
    readonly targetGroup: lb.TargetGroup;
    /** The listener that forwards to the tasks: the service must wait for it. */
    readonly listener: lb.Listener;
    readonly url: pulumi.Output<string>;

    constructor(name: string, args: AwsLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:AwsLoadBalancer", name, {}, opts);
        const parent = { parent: this };
        const { aws } = args;

        const alb = new lb.LoadBalancer(
            `${name}-alb`,
            {
                loadBalancerType: "application",
                internal: false,
                subnets: args.subnetIds,
                securityGroups: [args.securityGroupId],
                idleTimeout: aws.idleTimeoutSeconds,
                dropInvalidHeaderFields: true,
                tags: { Name: `${args.namePrefix}-alb` },
            },
            parent,
        );
        this.dnsName = alb.dnsName;
        this.arnSuffix = alb.arnSuffix;

        this.targetGroup = new lb.TargetGroup(
            `${name}-tg`,
            {
                targetType: "ip",
                protocol: "HTTP",
                port: CONTAINER_PORT,
                vpcId: args.vpcId,
                deregistrationDelay: 30,
                healthCheck: { path: HEALTH_PATH, matcher: "200", interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
                tags: { Name: `${args.namePrefix}-tg` },
            },
            parent,
        );
        const forward = [{ type: "forward", targetGroupArn: this.targetGroup.arn }];

        const certificateArn = hasTls(aws) ? this.certificate(name, aws) : undefined;
        if (certificateArn) {
            this.listener = new lb.Listener(
                `${name}-https`,
                { loadBalancerArn: alb.arn, port: 443, protocol: "HTTPS", sslPolicy: TLS_POLICY, certificateArn, defaultActions: forward },
                parent,
            );
            new lb.Listener(
                `${name}-http`,
                { loadBalancerArn: alb.arn, port: 80, protocol: "HTTP", defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }] },
                parent,
            );
        } else {
            this.listener = new lb.Listener(`${name}-http`, { loadBalancerArn: alb.arn, port: 80, protocol: "HTTP", defaultActions: forward }, parent);
        }

        if (aws.tls.domain && aws.tls.hostedZoneId) {
            new route53.Record(
                `${name}-alias`,
                { zoneId: aws.tls.hostedZoneId, name: aws.tls.domain, type: "A", aliases: [{ name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: true }] },
                parent,
            );
        }

        const host = aws.tls.domain ? pulumi.output(aws.tls.domain) : alb.dnsName;
        this.url = pulumi.interpolate`${certificateArn ? "https" : "http"}://${host}`;
        this.registerOutputs({ dnsName: this.dnsName, url: this.url });
    }

    /** The given certificate, or an ACM certificate for the domain validated through Route 53. */
    private certificate(name: string, aws: AwsSpec): pulumi.Input<string> {
        if (aws.tls.certificateArn) {
            return aws.tls.certificateArn;
        }
        const parent = { parent: this };
        const cert = new acm.Certificate(`${name}-cert`, { domainName: aws.tls.domain!, validationMethod: "DNS" }, { parent: this });
        const option = cert.domainValidationOptions[0];
        const record = new route53.Record(
            `${name}-cert-validation`,
            { zoneId: aws.tls.hostedZoneId!, name: option.resourceRecordName, type: option.resourceRecordType, records: [option.resourceRecordValue], ttl: 300, allowOverwrite: true },
            parent,
        );
        const validation = new acm.CertificateValidation(`${name}-cert-validated`, { certificateArn: cert.arn, validationRecordFqdns: [record.fqdn] }, parent);
        return validation.certificateArn;
    }
}
