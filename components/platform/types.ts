// What the Deployment hands each platform's wiring, and what it gets back.
import * as pulumi from "@pulumi/pulumi";
import { SecretKey } from "../config/parse";
import { DeploymentSpec } from "../config/spec";
import { AuthSecrets, ServerContract, SsoSecrets } from "../contract";

/** The optional secrets of the stack, each an Output secret straight from `pulumi config`. */
export type DeploymentSecrets = Partial<Record<SecretKey, pulumi.Output<string>>>;

export interface PlatformContext {
    /** The Deployment's name: children are named `${name}-...`. */
    name: string;
    spec: DeploymentSpec;
    secrets: DeploymentSecrets;
    /** The admin password and Flask key, when spec.auth.enabled. Output secrets. */
    auth?: AuthSecrets;
    /** Single sign-on's client secret and session key, when spec.auth.sso. Output secrets. */
    sso?: SsoSecrets;
    /** The Deployment: parent of every resource the wiring creates. */
    parent: pulumi.ComponentResource;
}

/** What a deployed platform exposes; index.ts turns these into stack outputs. */
export interface PlatformResult {
    url: pulumi.Output<string>;
    contract: ServerContract;
    artifactDestination: pulumi.Output<string>;
    /** Where the server's logs go (a log group, a workspace...). */
    logs?: pulumi.Output<string>;
    /** The bucket, or account/container, holding the artifacts. */
    artifactStore?: pulumi.Output<string>;
    /** host:port of the managed database, when the program runs one. */
    databaseEndpoint?: pulumi.Output<string>;
    /** Docker: the stack's container names as JSON {server, jobs?, ops?} (npm run restore reads it). */
    containers?: pulumi.Output<string>;
}

/** Wires backend store, artifact store, contract and platform for one kind of platform. */
export type PlatformWiring = (ctx: PlatformContext) => PlatformResult;
