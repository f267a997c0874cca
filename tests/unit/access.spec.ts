// mlflow:users, mlflow:grants, mlflow:defaultPermission and mlflow:sso: what parseConfig accepts,
// what it refuses (each with a fix), and what the server contract then carries.
import * as assert from "assert";
import { parseConfig, ParseInput, SecretKey } from "../../components/config/parse";
import { buildServerContract } from "../../components/contract";
import { dockerPlatformFacts } from "../../components/platform/docker/platform";
import { localArtifactsContract, sqliteBackendContract } from "../../components/stores/contracts";
import { describeRun, footprintMiB, HEADROOM, SSO_EXTRA_MIB_PER_WORKER } from "../../components/config/footprint";
import { refusal } from "./fixtures";

function input(stack: string, raw: Record<string, unknown>, secrets: Partial<Record<SecretKey, string>> = {}): ParseInput {
    return { project: "mlflow", stack, raw, secretsSet: new Set(Object.keys(secrets) as SecretKey[]), secretValues: secrets };
}

const SSO = { issuer: "https://login.example.com/tenant/v2.0/", clientId: "mlflow-client", allowedGroups: ["mlflow-users"], adminGroups: ["mlflow-admins"] };

describe("access: users, grants, default permission, single sign-on", () => {
    describe("config", () => {
        it("users and grants as code: names, admin flags, rotation, given passwords", () => {
            const { spec } = parseConfig(
                input(
                    "staging",
                    { users: [{ name: "alice" }, { name: "bob", admin: true, rotation: 2 }, "carol"], grants: [{ user: "alice", experiment: "churn model", permission: "EDIT" }], defaultPermission: "NO_PERMISSIONS" },
                    { userPasswords: JSON.stringify({ bob: "bob-given-password" }) },
                ),
            );
            assert.deepStrictEqual(spec.auth.users, [
                { name: "alice", admin: false, rotation: "", passwordGiven: false },
                { name: "bob", admin: true, rotation: "2", passwordGiven: true },
                { name: "carol", admin: false, rotation: "", passwordGiven: false },
            ]);
            assert.deepStrictEqual(spec.auth.grants, [{ user: "alice", experiment: "churn model", permission: "EDIT" }]);
            assert.strictEqual(spec.auth.defaultPermission, "NO_PERMISSIONS");
            assert.strictEqual(spec.auth.enabled, true);
            assert.strictEqual(parseConfig(input("staging", {})).spec.auth.defaultPermission, "READ");
        });

        it("refuses bad accounts and grants, each with a fix", () => {
            const m = refusal(
                input("staging", {
                    users: [{ name: "admin" }, { name: "al ice" }, { name: "bob" }, { name: "bob" }, { name: "eve", admin: "yes", colour: "red" }],
                    grants: [{ user: "zed", experiment: "x", permission: "EDIT" }, { user: "bob", experiment: "", permission: "WRITE" }],
                    defaultPermission: "ALL",
                }),
            );
            assert.match(m, /mlflow:users\[0\]\.name: is the admin account \(admin\)/);
            assert.match(m, /mlflow:users\[1\]\.name: got "al ice"/);
            assert.match(m, /mlflow:users\[3\]\.name: repeats "bob"/);
            assert.match(m, /mlflow:users\[4\]\.admin: got "yes"/);
            assert.match(m, /mlflow:users\[4\]\.colour: is not a field/);
            assert.match(m, /mlflow:grants\[0\]\.user: got "zed"\. Allowed: an account of mlflow:users/);
            assert.match(m, /mlflow:grants\[1\]\.permission: got "WRITE"\. Allowed: READ \| EDIT \| MANAGE \| NO_PERMISSIONS/);
            assert.match(m, /mlflow:grants\[1\]\.experiment: got ""/);
            assert.match(m, /mlflow:defaultPermission: got "ALL"[^\n]*\n\s+Fix: pulumi config set mlflow:defaultPermission READ/);
        });

        it("mlflow:userPasswords: a JSON object of accounts of mlflow:users, 12+ characters each, never shown", () => {
            const secret = "short-pw";
            const m = refusal(input("staging", { users: [{ name: "alice" }] }, { userPasswords: JSON.stringify({ alice: secret, zed: "zed-password-long" }) }));
            assert.match(m, /mlflow:userPasswords\.alice: is not a string of 12 or more characters/);
            assert.match(m, /mlflow:userPasswords\.zed: names no account of mlflow:users/);
            assert.match(m, /pulumi config set --secret mlflow:userPasswords/);
            assert.ok(!m.includes(secret));
            assert.match(refusal(input("staging", { users: ["alice"] }, { userPasswords: "not json" })), /mlflow:userPasswords: is not a JSON object/);
        });

        it("users and grants need basic auth", () => {
            const m = refusal(input("dev", { users: ["alice"], grants: [{ user: "alice", experiment: "x", permission: "READ" }] }));
            assert.match(m, /mlflow:users: is set, but basic auth is off \(mlflow:auth false\)/);
            assert.match(m, /mlflow:grants: is set, but basic auth is off/);
        });

        it("single sign-on: parsed with defaults; basic auth off by default; both at once refused", () => {
            const { spec } = parseConfig(input("staging", { sso: SSO }, { ssoClientSecret: "s" }));
            assert.deepStrictEqual(spec.auth.sso, { issuer: "https://login.example.com/tenant/v2.0", clientId: "mlflow-client", scopes: ["openid", "email", "profile"], groupsClaim: "groups", allowedGroups: ["mlflow-users"], adminGroups: ["mlflow-admins"] });
            assert.strictEqual(spec.auth.enabled, false);
            assert.strictEqual(spec.auth.defaultPermission, "READ");
            const both = refusal(input("staging", { sso: SSO, auth: true }, { ssoClientSecret: "s" }));
            assert.match(both, /mlflow:auth: is true while mlflow:sso is set[^\n]*\n\s+Fix: pulumi config set mlflow:auth false/);
            assert.match(refusal(input("staging", { sso: SSO })), /mlflow:ssoClientSecret: is not set, but mlflow:sso is[^\n]*\n\s+Fix: pulumi config set --secret mlflow:ssoClientSecret/);
            assert.match(refusal(input("staging", {}, { ssoClientSecret: "s" })), /mlflow:ssoClientSecret: is set, but mlflow:sso is not/);
            assert.match(refusal(input("staging", { sso: SSO, users: ["alice"] }, { ssoClientSecret: "s" })), /mlflow:users: is set, but basic auth is off[^\n]*accounts come from the provider/);
            assert.match(refusal(input("staging", { sso: SSO, mlflowVersion: "3.15.0" }, { ssoClientSecret: "s" })), /mlflow:mlflowVersion: is 3\.15\.0 with mlflow:sso\. Allowed: 3\.16\.0 or newer/);
        });

        it("single sign-on: refuses a plain-HTTP issuer off this machine, scopes without openid, no groups", () => {
            const m = refusal(input("staging", { sso: { ...SSO, issuer: "http://login.example.com", scopes: ["email"], allowedGroups: [], adminGroups: "", clientId: "", extra: 1 } }, { ssoClientSecret: "s" }));
            assert.match(m, /mlflow:sso\.issuer: got "http:\/\/login\.example\.com"\. Allowed: the provider's issuer URL over https/);
            assert.match(m, /mlflow:sso\.scopes: [^\n]*includes "openid"/);
            assert.match(m, /mlflow:sso\.allowedGroups: is empty\. Allowed: at least one group: it decides who may sign in/);
            assert.match(m, /mlflow:sso\.adminGroups: is empty/);
            assert.match(m, /mlflow:sso\.clientId: got ""/);
            assert.match(m, /mlflow:sso\.extra: is not a field/);
            // A provider on this machine may speak plain HTTP (a local test provider).
            assert.doesNotThrow(() => parseConfig(input("dev", { sso: { ...SSO, issuer: "http://127.0.0.1:9000" } }, { ssoClientSecret: "s" })));
        });
    });

    it("single sign-on's measured extra memory counts in every cloud default", () => {
        assert.strictEqual(footprintMiB(1, "off", true, "server", true), footprintMiB(1, "off", true) + SSO_EXTRA_MIB_PER_WORKER);
        assert.strictEqual(footprintMiB(2, "off", false, "server", true), footprintMiB(2, "off", true) + 2 * SSO_EXTRA_MIB_PER_WORKER);
        const providers = { "aws:region": "eu-west-1", "gcp:project": "test-project", "gcp:region": "europe-west1", "azure-native:location": "westeurope" };
        const sso = { sso: SSO };
        const gcp = parseConfig({ ...input("staging", { platform: "gcp", backend: "cloudsql", artifacts: "gcs", ...sso }, { ssoClientSecret: "s" }), providerConfig: providers }).spec;
        assert.ok(gcp.gcp!.memoryMiB >= footprintMiB(1, "off", true, "server", true) * HEADROOM, `GCP ${gcp.gcp!.memoryMiB} MiB`);
        const aws = parseConfig({ ...input("staging", { platform: "aws", backend: "rds", artifacts: "s3", ...sso }, { ssoClientSecret: "s" }), providerConfig: providers }).spec;
        assert.ok(aws.aws!.memory >= footprintMiB(1, "off", true, "server", true) * HEADROOM, `AWS ${aws.aws!.memory} MiB`);
        assert.strictEqual(describeRun(1, "off", true, true), "1 worker, single sign-on, job runner off");
    });

    describe("contract", () => {
        it("basic auth: the accounts are a secret; grants and default permission plain", () => {
            const { spec } = parseConfig(input("staging", { users: ["alice"], grants: [{ user: "alice", experiment: "x", permission: "MANAGE" }], defaultPermission: "EDIT" }));
            const c = buildServerContract({
                spec,
                backend: sqliteBackendContract({ type: "sqlite", path: "/mlflow/mlflow.db" }),
                artifacts: localArtifactsContract("/mlflow/artifacts", ""),
                platform: dockerPlatformFacts(spec),
                auth: { adminPassword: "a", flaskSecretKey: "k", users: "[users]" },
            });
            assert.strictEqual(c.secretEnv.MLFLOW_AUTH_USERS, "[users]");
            assert.strictEqual(c.env.MLFLOW_AUTH_GRANTS, JSON.stringify([{ user: "alice", experiment: "x", permission: "MANAGE" }]));
            assert.strictEqual(c.env.MLFLOW_AUTH_DEFAULT_PERMISSION, "EDIT");
            assert.deepStrictEqual(c.args.slice(c.args.indexOf("--app-name"), c.args.indexOf("--app-name") + 2), ["--app-name", "basic-auth"]);
            // Without accounts, no accounts secret at all.
            const none = buildServerContract({ spec: parseConfig(input("staging", {})).spec, backend: sqliteBackendContract({ type: "sqlite", path: "/mlflow/mlflow.db" }), artifacts: localArtifactsContract("/mlflow/artifacts", ""), platform: dockerPlatformFacts(spec), auth: { adminPassword: "a", flaskSecretKey: "k" } });
            assert.ok(!("MLFLOW_AUTH_USERS" in none.secretEnv));
            assert.ok(c.image.kind === "build" && !("SSO" in c.image.args) && !c.image.tag.endsWith("-sso"), "no SSO app without SSO");
        });

        it("single sign-on: the oidc-auth app, its settings plain, its secrets secret, the redirect URI from the platform", () => {
            const { spec } = parseConfig(input("staging", { sso: { ...SSO, scopes: ["openid", "email", "groups"] }, defaultPermission: "NO_PERMISSIONS" }, { ssoClientSecret: "s" }));
            const c = buildServerContract({
                spec,
                backend: sqliteBackendContract({ type: "sqlite", path: "/mlflow/mlflow.db" }),
                artifacts: localArtifactsContract("/mlflow/artifacts", ""),
                platform: { ...dockerPlatformFacts(spec), publicOrigin: "https://mlflow.example.com", https: true },
                sso: { clientSecret: "client-secret", sessionKey: "session-key" },
            });
            assert.deepStrictEqual(c.args.slice(c.args.indexOf("--app-name"), c.args.indexOf("--app-name") + 2), ["--app-name", "oidc-auth"]);
            assert.strictEqual(c.env.OIDC_DISCOVERY_URL, "https://login.example.com/tenant/v2.0/.well-known/openid-configuration");
            assert.strictEqual(c.env.OIDC_REDIRECT_URI, "https://mlflow.example.com/callback");
            assert.strictEqual(c.env.OIDC_SCOPE, "openid email groups");
            assert.strictEqual(c.env.OIDC_GROUP_NAME, "mlflow-users");
            assert.strictEqual(c.env.OIDC_ADMIN_GROUP_NAME, "mlflow-admins");
            assert.strictEqual(c.env.DEFAULT_MLFLOW_PERMISSION, "NO_PERMISSIONS");
            assert.strictEqual(c.env.SESSION_COOKIE_SECURE, "true");
            assert.deepStrictEqual(Object.keys(c.secretEnv).sort(), ["MLFLOW_BACKEND_STORE_URI", "OIDC_CLIENT_SECRET", "OIDC_USERS_DB_URI", "SECRET_KEY"]);
            assert.strictEqual(c.secretEnv.OIDC_USERS_DB_URI, "sqlite:////mlflow/oidc_auth.db");
            assert.ok(!c.args.includes("basic-auth") && !("MLFLOW_AUTH_ADMIN_PASSWORD" in c.secretEnv));
            // The image gets the single sign-on app, under a tag of its own.
            assert.ok(c.image.kind === "build" && c.image.args.SSO === "true" && c.image.tag.endsWith("-sso"));
        });
    });
});
