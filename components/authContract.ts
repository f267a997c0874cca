// What each auth mode adds to the server contract: MLflow's basic-auth app with the users and
// grants of the stack config, or single sign-on through the mlflow-oidc-auth app. Pure.

import { AuthSpec, SsoSpec } from "./config/spec";
import { BackendStoreContract, concat, Value } from "./stores/types";

/** The path mlflow-oidc-auth serves the provider's redirect on (its routers/auth.py CALLBACK). */
export const SSO_CALLBACK_PATH = "/callback";

export interface AuthSecrets {
    adminPassword: Value;
    flaskSecretKey: Value;
    /** JSON list of {name, password, admin}: every account of mlflow:users (none when absent). */
    users?: Value;
}

export interface SsoSecrets {
    clientSecret: Value;
    /** Signs the session cookies: the same on every replica. */
    sessionKey: Value;
}

export interface AuthContract {
    args: Value[];
    env: Record<string, Value>;
    secretEnv: Record<string, Value>;
}

/** Basic auth: the entrypoint writes the ini file and reconciles users and grants from these. */
export function basicAuthContract(auth: AuthSpec, secrets: AuthSecrets, backend: BackendStoreContract): AuthContract {
    const secretEnv: Record<string, Value> = {
        MLFLOW_AUTH_ADMIN_PASSWORD: secrets.adminPassword,
        MLFLOW_FLASK_SERVER_SECRET_KEY: secrets.flaskSecretKey,
        // MLflow reads it from the ini file only.
        MLFLOW_AUTH_DATABASE_URI: backend.authUri,
    };
    if (secrets.users !== undefined) {
        secretEnv.MLFLOW_AUTH_USERS = secrets.users;
    }
    return {
        args: ["--app-name", "basic-auth"],
        env: {
            MLFLOW_AUTH_ADMIN_USERNAME: auth.adminUsername,
            // The entrypoint writes these into the auth app's ini file.
            MLFLOW_AUTH_CACHE_TTL_SECONDS: String(auth.cacheSeconds),
            MLFLOW_AUTH_DEFAULT_PERMISSION: auth.defaultPermission,
            MLFLOW_AUTH_GRANTS: JSON.stringify(auth.grants),
        },
        secretEnv,
    };
}

/** The redirect URI to register at the provider: the URL users open, plus the callback path. */
export function ssoRedirectUri(publicOrigin: Value): Value {
    return concat(publicOrigin, SSO_CALLBACK_PATH);
}

/** The provider's discovery document. */
export function discoveryUrl(issuer: string): string {
    return `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
}

/** Single sign-on: mlflow-oidc-auth, configured by its environment variables (its config.py). */
export function ssoContract(auth: AuthSpec, sso: SsoSpec, secrets: SsoSecrets, backend: BackendStoreContract, publicOrigin: Value, https: boolean): AuthContract {
    return {
        args: ["--app-name", "oidc-auth"],
        env: {
            OIDC_DISCOVERY_URL: discoveryUrl(sso.issuer),
            // Bearer tokens must carry this issuer.
            OIDC_ISSUER: sso.issuer,
            OIDC_CLIENT_ID: sso.clientId,
            OIDC_SCOPE: sso.scopes.join(" "),
            OIDC_GROUPS_ATTRIBUTE: sso.groupsClaim,
            OIDC_GROUP_NAME: sso.allowedGroups.join(","),
            OIDC_ADMIN_GROUP_NAME: sso.adminGroups.join(","),
            // Behind a TLS-terminating balancer the server sees plain HTTP: name the URI exactly.
            OIDC_REDIRECT_URI: ssoRedirectUri(publicOrigin),
            DEFAULT_MLFLOW_PERMISSION: auth.defaultPermission,
            // Opening the UI goes straight to the provider's sign-in.
            AUTOMATIC_LOGIN_REDIRECT: "true",
            SESSION_COOKIE_SECURE: String(https),
        },
        secretEnv: {
            OIDC_CLIENT_SECRET: secrets.clientSecret,
            SECRET_KEY: secrets.sessionKey,
            // The plugin's own database, beside the tracking one; the entrypoint creates and migrates it.
            OIDC_USERS_DB_URI: backend.oidcUri,
        },
    };
}
