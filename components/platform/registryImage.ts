// Builds the server image from components/image and pushes it to a cloud registry, or passes a
// prebuilt image through. Shared by the cloud platforms.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ImageSource } from "../contract";

/** Cloud runtimes run x86-64; a build on an ARM laptop must still produce an amd64 image. */
export const CLOUD_IMAGE_PLATFORM = "linux/amd64";

/** The tag part of the contract's image tag (`<name>:<version>-<context hash>`). */
export function imageTag(source: ImageSource & { kind: "build" }): string {
    return source.tag.slice(source.tag.lastIndexOf(":") + 1);
}

export interface RegistryLogin {
    server: pulumi.Input<string>;
    username: pulumi.Input<string>;
    password: pulumi.Input<string>;
}

/**
 * The image reference the platform should run: for a build, `repository@sha256:...` (a digest,
 * so a re-pushed tag never changes running tasks); for a prebuilt image, the reference as given.
 */
export function registryImage(name: string, source: ImageSource, repositoryUrl: pulumi.Input<string>, login: RegistryLogin, parent: pulumi.Resource): pulumi.Output<string> {
    if (source.kind === "prebuilt") {
        return pulumi.output(source.ref);
    }
    const image = new docker.Image(
        name,
        {
            imageName: pulumi.interpolate`${repositoryUrl}:${imageTag(source)}`,
            build: { context: source.context, dockerfile: source.dockerfile, args: source.args, platform: CLOUD_IMAGE_PLATFORM },
            registry: { server: login.server, username: login.username, password: pulumi.secret(login.password) },
        },
        { parent },
    );
    return image.repoDigest;
}
