// Provider-computed outputs of the AWS resources and data sources the program uses, under mocks.
const ACCOUNT = "123456789012";
const REGION = "eu-west-1";

export function awsResourceState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> | undefined {
    const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
    switch (type) {
        case "aws:lb/loadBalancer:LoadBalancer":
            return { ...inputs, arn: arn("elasticloadbalancing", `loadbalancer/app/${name}/50dc6c495c0c9188`), dnsName: `${name}-1234567890.${REGION}.elb.amazonaws.com`, zoneId: "Z32O12XQLNTSW2", arnSuffix: `app/${name}/50dc6c495c0c9188` };
        case "aws:lb/targetGroup:TargetGroup":
            return { ...inputs, arn: arn("elasticloadbalancing", `targetgroup/${name}/73e2d6bc24d8a067`), arnSuffix: `targetgroup/${name}/73e2d6bc24d8a067` };
        case "aws:lb/listener:Listener":
            return { ...inputs, arn: arn("elasticloadbalancing", `listener/app/${name}`) };
        case "aws:secretsmanager/secret:Secret":
            return { ...inputs, arn: arn("secretsmanager", `secret:${String(inputs.namePrefix ?? name)}AbCdEf`) };
        case "aws:ecr/repository:Repository":
            return { ...inputs, registryId: ACCOUNT, repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${String(inputs.name)}` };
        case "aws:rds/instance:Instance": {
            const identifier = String(inputs.identifier ?? `${String(inputs.identifierPrefix ?? "terraform-")}20260101000000000000000001`);
            return { ...inputs, identifier, arn: arn("rds", `db:${identifier}`), address: `${name}.abcdefghijkl.${REGION}.rds.amazonaws.com`, port: inputs.port ?? 5432, endpoint: `${name}.abcdefghijkl.${REGION}.rds.amazonaws.com:5432` };
        }
        case "aws:rds/subnetGroup:SubnetGroup":
            return { ...inputs, name: `${name}-subnets` };
        case "aws:iam/role:Role":
            return { ...inputs, arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, name };
        case "aws:cloudwatch/logGroup:LogGroup":
            return { ...inputs, name: inputs.name ?? name, arn: arn("logs", `log-group:${String(inputs.name ?? name)}`) };
        case "aws:ecs/cluster:Cluster":
            return { ...inputs, arn: arn("ecs", `cluster/${String(inputs.name ?? name)}`), name: inputs.name ?? name };
        case "aws:ecs/taskDefinition:TaskDefinition":
            return { ...inputs, arn: arn("ecs", `task-definition/${String(inputs.family)}:1`), arnWithoutRevision: arn("ecs", `task-definition/${String(inputs.family)}`) };
        case "aws:ecs/service:Service":
            return { ...inputs, name: inputs.name ?? name };
        case "aws:acm/certificate:Certificate":
            return {
                ...inputs,
                arn: arn("acm", `certificate/${name}`),
                domainValidationOptions: [{ domainName: inputs.domainName, resourceRecordName: `_x1.${String(inputs.domainName)}.`, resourceRecordType: "CNAME", resourceRecordValue: "_x2.acm-validations.aws." }],
            };
        case "aws:acm/certificateValidation:CertificateValidation":
            return { ...inputs };
        case "aws:route53/record:Record":
            return { ...inputs, fqdn: String(inputs.name).replace(/\.$/, "") };
        case "aws:sns/topic:Topic":
            return { ...inputs, arn: arn("sns", String(inputs.name ?? name)) };
        case "aws:kms/key:Key":
            return { ...inputs, arn: arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab"), keyId: "1234abcd-12ab-34cd-56ef-1234567890ab" };
        case "aws:cloudwatch/eventRule:EventRule":
            return { ...inputs, arn: arn("events", `rule/${String(inputs.name ?? name)}`), name: inputs.name ?? name };
        case "aws:scheduler/schedule:Schedule":
            return { ...inputs, arn: arn("scheduler", `schedule/${String(inputs.groupName ?? "default")}/${String(inputs.name ?? name)}`) };
        case "aws:ec2/securityGroup:SecurityGroup":
            return { ...inputs, arn: arn("ec2", `security-group/sg-${name}`) };
        default:
            return undefined;
    }
}

export function awsCall(token: string, _inputs: Record<string, unknown>): Record<string, unknown> | undefined {
    switch (token) {
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { names: [`${REGION}a`, `${REGION}b`, `${REGION}c`], zoneIds: ["euw1-az1", "euw1-az2", "euw1-az3"] };
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return { accountId: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/session`, userId: "AROAEXAMPLE:session", id: ACCOUNT };
        case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            return { userName: "AWS", password: "mock-ecr-token", proxyEndpoint: `https://${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`, authorizationToken: "bW9jaw==" };
        default:
            return undefined;
    }
}
