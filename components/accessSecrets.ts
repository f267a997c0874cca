// The secrets of the stack's access mode, created once and kept in the state: the admin
// password, the session key, one password per account of mlflow:users (each given in
// mlflow:userPasswords or generated), and single sign-on's client secret.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { AuthSecrets, SsoSecrets } from "./authContract";
import { AuthSpec } from "./config/spec";
import { DeploymentSecrets } from "./platform/types";

export interface AccessSecrets {
    auth?: AuthSecrets;
    sso?: SsoSecrets;
    /** Secret: the admin password (basic auth). */
    adminPassword?: pulumi.Output<string>;
    /** Secret: JSON object of account name -> password, for every account of mlflow:users. */
    userPasswords?: pulumi.Output<string>;
}

const PASSWORD = { length: 24, special: true, overrideSpecial: "-_.~!" };

export function createAccessSecrets(name: string, auth: AuthSpec, secrets: DeploymentSecrets, parent: pulumi.Resource): AccessSecrets {
    if (!auth.enabled && !auth.sso) {
        return {};
    }
    // Signs session cookies (either app): one key for every replica, kept across a move between modes.
    const sessionKey = pulumi.secret(new random.RandomPassword(`${name}-flask-secret-key`, { length: 64, special: false }, { parent }).result);
    if (auth.sso) {
        return { sso: { clientSecret: pulumi.secret(secrets.ssoClientSecret!), sessionKey } };
    }

    const adminPassword = pulumi.secret(secrets.adminPassword ?? new random.RandomPassword(`${name}-admin-password`, PASSWORD, { parent }).result);
    if (auth.users.length === 0) {
        return { auth: { adminPassword, flaskSecretKey: sessionKey }, adminPassword };
    }
    const given = secrets.userPasswords?.apply((json) => JSON.parse(json) as Record<string, string>);
    const passwords = auth.users.map((user) =>
        user.passwordGiven
            ? given!.apply((all) => all[user.name])
            : new random.RandomPassword(`${name}-user-${user.name}-password`, { ...PASSWORD, keepers: { rotation: user.rotation } }, { parent }).result,
    );
    const all = pulumi.all(passwords);
    const users = pulumi.secret(all.apply((ps) => JSON.stringify(auth.users.map((u, i) => ({ name: u.name, password: ps[i], admin: u.admin })))));
    const userPasswords = pulumi.secret(all.apply((ps) => JSON.stringify(Object.fromEntries(auth.users.map((u, i) => [u.name, ps[i]])))));
    return { auth: { adminPassword, flaskSecretKey: sessionKey, users }, adminPassword, userPasswords };
}
