// Deterministic stand-ins for what providers compute, for running the program under Pulumi mocks
// (unit tests and the offline plan). Each cloud's resources get the outputs the program reads.
import { awsCall, awsResourceState } from "./mocksAws";
import { azureCall, azureResourceState } from "./mocksAzure";

/** Deterministic stand-ins for values providers compute. */
export function mockResourceState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const aws = awsResourceState(type, name, inputs);
    if (aws) {
        return aws;
    }
    const azure = azureResourceState(type, name, inputs);
    if (azure) {
        return azure;
    }
    switch (type) {
        case "random:index/randomPassword:RandomPassword":
            return { ...inputs, result: `generated ${name} p@ss:w/o?r#d%&` };
        case "random:index/randomString:RandomString":
            return { ...inputs, result: "k3x9q2ab" };
        case "docker:index/remoteImage:RemoteImage":
            return { ...inputs, imageId: `sha256:${name}`, repoDigest: `${String(inputs.name)}@sha256:0` };
        case "docker:index/image:Image":
            return { ...inputs, repoDigest: `${String(inputs.imageName).replace(/:[^:/]+$/, "")}@sha256:${"0".repeat(64)}`, baseImageName: inputs.imageName };
        case "azure-native:storage:StorageAccount":
            return { ...inputs, name: inputs.accountName };
        case "azure-native:storage:BlobContainer":
            return { ...inputs, name: inputs.containerName };
        case "azure-native:resources:ResourceGroup":
            return { ...inputs, name: inputs.resourceGroupName };
        case "aws:s3/bucket:Bucket":
            return { ...inputs, arn: `arn:aws:s3:::${String(inputs.bucket)}` };
        case "gcp:serviceaccount/account:Account": {
            const email = `${String(inputs.accountId)}@${String(inputs.project)}.iam.gserviceaccount.com`;
            return { ...inputs, email, member: `serviceAccount:${email}`, name: `projects/${String(inputs.project)}/serviceAccounts/${email}` };
        }
        case "gcp:projects/serviceIdentity:ServiceIdentity": {
            const email = `service-123456789012@gcp-sa-${String(inputs.service).split(".")[0]}.iam.gserviceaccount.com`;
            return { ...inputs, email, member: `serviceAccount:${email}` };
        }
        case "gcp:sql/databaseInstance:DatabaseInstance":
            return { ...inputs, connectionName: `${String(inputs.project)}:${String(inputs.region)}:${String(inputs.name)}`, privateIpAddress: "10.20.0.3" };
        case "gcp:secretmanager/secretVersion:SecretVersion":
            return { ...inputs, version: "1", name: `${String(inputs.secret)}/versions/1` };
        case "gcp:cloudrunv2/service:Service":
            return { ...inputs, uri: `https://${String(inputs.name)}-k3x9q2abcd-ew.a.run.app` };
        case "gcp:monitoring/notificationChannel:NotificationChannel":
            return { ...inputs, name: `projects/${String(inputs.project)}/notificationChannels/${name}` };
        case "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig":
            return { ...inputs, uptimeCheckId: `${name}-check-id` };
        case "gcp:compute/network:Network":
            return { ...inputs, selfLink: `https://www.googleapis.com/compute/v1/projects/${String(inputs.project)}/global/networks/${String(inputs.name)}` };
        default:
            return { ...inputs };
    }
}

/** Results of provider functions (data sources) the program calls. */
export function mockCall(token: string, _inputs: Record<string, unknown>): Record<string, unknown> {
    const aws = awsCall(token, _inputs);
    if (aws) {
        return aws;
    }
    const azure = azureCall(token, _inputs);
    if (azure) {
        return azure;
    }
    switch (token) {
        case "gcp:organizations/getProject:getProject":
            return { number: "123456789012", projectId: _inputs.projectId };
        case "gcp:organizations/getClientConfig:getClientConfig":
            return { accessToken: "mock-gcp-access-token", project: "mock-project", region: "europe-west1", zone: "europe-west1-b", id: "mock" };
        case "azure-native:storage:listStorageAccountKeys":
            return { keys: [{ keyName: "key1", value: "mock-account-key", permissions: "FULL" }] };
        default:
            return {};
    }
}
