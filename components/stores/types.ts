import * as pulumi from "@pulumi/pulumi";

/**
 * A value a store or platform hands to the server contract: a plain string when it is known
 * up front (and always in the integration tests), an Output when a resource produces it.
 */
export type Value = pulumi.Input<string>;

/** What a backend store gives the server. */
export interface BackendStoreContract {
    /** SQLAlchemy URI of the tracking database. Always treated as a secret. */
    uri: Value;
    /** SQLAlchemy URI of the basic-auth database, beside the tracking one. A secret. */
    authUri: Value;
    /** SQLAlchemy URI of single sign-on's database (mlflow-oidc-auth), beside the tracking one. A secret. */
    oidcUri: Value;
    /** Python packages the server needs for it (all in components/image/requirements.txt). */
    packages: string[];
    /** Only one server replica may use it (SQLite). */
    singleReplica: boolean;
    /** What the network must allow: the server reaches host:port. Undefined for a local file. */
    network?: { host: Value; port: number };
}

/** The access a server identity needs on an artifact store. */
export interface StoreGrant {
    /** `read-write` on `resource` below `prefix`. */
    access: "read-write";
    /** e.g. `s3://bucket`, `wasbs://container@account`, `gs://bucket`, `volume:/mlflow/artifacts`. */
    resource: Value;
    prefix: string;
    /** The role or actions that grant it, in the store's own terms. */
    actions: string[];
}

/** What an artifact store gives the server. */
export interface ArtifactStoreContract {
    /** `--artifacts-destination`, including the stack's prefix. */
    destination: Value;
    env: Record<string, Value>;
    /** Credentials and the like: secrets end to end. */
    secretEnv: Record<string, Value>;
    packages: string[];
    grant: StoreGrant;
}

/** Applies `fn` to the values: directly when every value is plain, inside an Output otherwise. */
export function combine(values: Value[], fn: (plain: string[]) => string): Value {
    if (values.every((v) => typeof v === "string")) {
        return fn(values as string[]);
    }
    return pulumi.all(values).apply(fn);
}

/** Joins parts into one value: a plain string when every part is plain, else an Output. */
export function concat(...parts: Value[]): Value {
    return combine(parts, (ps) => ps.join(""));
}

/** The contract with its database URIs (which carry the password) as Output secrets. */
export function withSecretUris(contract: BackendStoreContract, map: (uri: string) => string = (u) => u): BackendStoreContract {
    const secret = (v: Value) => pulumi.secret(pulumi.output(v).apply(map));
    return { ...contract, uri: secret(contract.uri), authUri: secret(contract.authUri), oidcUri: secret(contract.oidcUri) };
}
