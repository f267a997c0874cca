// Deterministic stand-ins for what providers compute, for running the program under Pulumi mocks
// (unit tests and the offline plan). Each cloud's resources get the outputs the program reads.
import { awsCall, awsResourceState } from "./mocksAws";

/** Deterministic stand-ins for values providers compute. */
export function mockResourceState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const aws = awsResourceState(type, name, inputs);
    if (aws) {
        return aws;
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
    switch (token) {
        case "azure-native:storage:listStorageAccountKeys":
            return { keys: [{ keyName: "key1", value: "mock-account-key", permissions: "FULL" }] };
        default:
            return {};
    }
}
