import * as authorization from "@pulumi/azure-native/authorization";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ImageSource } from "../../contract";
import { containerRegistryName, SUFFIX_LENGTH } from "../../naming";
import { registryImage } from "../registryImage";

/** The user name ACR expects with a refresh token obtained from a Microsoft Entra token. */
export const ACR_TOKEN_USERNAME = "00000000-0000-0000-0000-000000000000";

interface AcrTokenInputs {
    loginServer: string;
    tenantId: string;
    aadToken: string;
}

/**
 * Exchanges the deployer's Microsoft Entra access token (ARM audience) for an ACR refresh token,
 * as `az acr login --expose-token` does (POST https://<registry>/oauth2/exchange). The refresh
 * token is valid for about three hours and only as much as the deployer's own roles allow, so
 * no admin user and no long-lived registry password exist.
 * Self-contained (global fetch only): the dynamic provider serializes this code into the state.
 */
async function exchangeForAcrRefreshToken(inputs: AcrTokenInputs): Promise<string> {
    const body = new URLSearchParams({ grant_type: "access_token", service: inputs.loginServer, tenant: inputs.tenantId, access_token: inputs.aadToken });
    const response = await fetch(`https://${inputs.loginServer}/oauth2/exchange`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: body.toString(),
    });
    if (!response.ok) {
        throw new Error(
            `ACR token exchange at ${inputs.loginServer} failed with HTTP ${response.status}: the deployer needs Contributor/Owner or AcrPush on the registry, and the registry must accept ARM-audience tokens`,
        );
    }
    const json = (await response.json()) as { refresh_token?: string };
    if (!json.refresh_token) {
        throw new Error(`ACR token exchange at ${inputs.loginServer} returned no refresh token`);
    }
    return json.refresh_token;
}

const acrTokenProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: AcrTokenInputs) {
        const refreshToken = await exchangeForAcrRefreshToken(inputs);
        return { id: `acr-token-${inputs.loginServer}`, outs: { loginServer: inputs.loginServer, refreshToken } };
    },
    // The Entra token differs on every run: a fresh refresh token each time, never an expired one.
    async diff() {
        return { changes: true };
    },
    async update(_id: string, _olds: unknown, news: AcrTokenInputs) {
        const refreshToken = await exchangeForAcrRefreshToken(news);
        return { outs: { loginServer: news.loginServer, refreshToken } };
    },
};

/** A short-lived registry credential of the deployer (a secret in the state, expiring in hours). */
class AcrPushToken extends pulumi.dynamic.Resource {
    declare readonly refreshToken: pulumi.Output<string | undefined>;
    constructor(name: string, args: { loginServer: pulumi.Input<string>; tenantId: pulumi.Input<string>; aadToken: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
        super(acrTokenProvider, name, { ...args, refreshToken: undefined }, { ...opts, additionalSecretOutputs: ["refreshToken", "aadToken"] }, "mlflow", "AcrPushToken");
    }
}

export interface AzureRegistryArgs {
    project: string;
    stack: string;
    resourceGroupName: pulumi.Input<string>;
    location: string;
    image: Extract<ImageSource, { kind: "build" }>;
}

/**
 * An Azure Container Registry without admin user, and the server image built and pushed to it.
 * The push authenticates as the deployer (Entra token exchanged for a short-lived ACR token);
 * the app pulls with its managed identity (AcrPull, granted by the platform).
 */
export class AzureRegistry extends pulumi.ComponentResource {
    readonly registry: containerregistry.Registry;
    readonly loginServer: pulumi.Output<string>;
    /** The pushed image: `<registry>.azurecr.io/<namePrefix>-server:<version>-<content hash>`. */
    readonly imageRef: pulumi.Output<string>;

    constructor(name: string, args: AzureRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlflow:platform:AzureRegistry", name, {}, opts);
        const suffix = new random.RandomString(`${name}-suffix`, { length: SUFFIX_LENGTH, special: false, upper: false }, { parent: this });
        this.registry = new containerregistry.Registry(
            `${name}-acr`,
            {
                registryName: suffix.result.apply((s) => containerRegistryName(args.project, args.stack, s)),
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                sku: { name: containerregistry.SkuName.Basic },
                adminUserEnabled: false,
                anonymousPullEnabled: false,
                // The deployer's push uses an ARM-audience Entra token exchanged at the registry.
                policies: { azureADAuthenticationAsArmPolicy: { status: "enabled" } },
            },
            { parent: this },
        );
        this.loginServer = this.registry.loginServer;

        const client = authorization.getClientConfigOutput({ parent: this });
        const token = authorization.getClientTokenOutput({}, { parent: this });
        const pushToken = new AcrPushToken(
            `${name}-push-token`,
            { loginServer: this.loginServer, tenantId: client.tenantId, aadToken: pulumi.secret(token.token) },
            { parent: this },
        );

        // Repository and tag from the contract's `<name>:<version>-<hash>`; Container Apps runs the digest.
        const repository = args.image.tag.slice(0, args.image.tag.lastIndexOf(":"));
        this.imageRef = registryImage(
            `${name}-image`,
            args.image,
            pulumi.interpolate`${this.loginServer}/${repository}`,
            { server: this.loginServer, username: ACR_TOKEN_USERNAME, password: pulumi.output(pushToken.refreshToken).apply((t) => t ?? "") },
            this,
        );
        this.registerOutputs({ loginServer: this.loginServer, imageRef: this.imageRef });
    }
}
