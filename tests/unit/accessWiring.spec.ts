// Every platform wires the secrets of mlflow:users and mlflow:sso through its secret store, and
// no resource shows one of them (given or generated) in a plain input. Under mocks, the real program.
import * as assert from "assert";
import { allStrings, plainStrings, ProgramRun, runProgram, stackFileConfig } from "./harness";
import { dockerStackConfig } from "./fixtures";

type PlatformName = "docker" | "aws" | "azure" | "gcp";

const GIVEN_PASSWORD = "TEST-bob-given-pw-42";
const CLIENT_SECRET = "TEST-sso-client-secret-9f";
const GENERATED = (name: string) => `generated ${name} p@ss:w/o?r#d%&`;

const BASE: Record<PlatformName, () => Record<string, unknown>> = {
    docker: () => dockerStackConfig("staging"),
    aws: () => stackFileConfig("staging"),
    azure: () => ({ "mlflow:platform": "azure", "azure-native:location": "westeurope", "mlflow:backend": { type: "azure-postgres" }, "mlflow:artifacts": { type: "azure-blob" } }),
    gcp: () => ({ "mlflow:platform": "gcp", "gcp:project": "test-project", "gcp:region": "europe-west1", "mlflow:backend": { type: "cloudsql" }, "mlflow:artifacts": { type: "gcs" } }),
};

const USERS = {
    "mlflow:users": [{ name: "alice" }, { name: "bob", admin: true }],
    "mlflow:grants": [{ user: "alice", experiment: "churn", permission: "EDIT" }],
    "mlflow:userPasswords": JSON.stringify({ bob: GIVEN_PASSWORD }),
};

const SSO = {
    "mlflow:auth": false,
    "mlflow:sso": { issuer: "https://login.example.com/tenant/v2.0", clientId: "mlflow-client", allowedGroups: ["mlflow-users"], adminGroups: ["mlflow-admins"] },
    "mlflow:ssoClientSecret": CLIENT_SECRET,
};

/** How the server gets each secret environment variable: name -> where its value is kept. */
function secretRefs(run: ProgramRun, platform: PlatformName): Map<string, string> {
    const refs = new Map<string, string>();
    if (platform === "docker") {
        const server = run.byType("docker:index/container:Container").find((c) => String(c.inputs.name).endsWith("-server"))!;
        for (const upload of (server.inputs.uploads as { value: { file: string }[] }).value) {
            refs.set(upload.file.split("/").pop()!, upload.file);
        }
    } else if (platform === "aws") {
        // The server's task definition (the gc task has one of its own).
        const server = run.byType("aws:ecs/taskDefinition:TaskDefinition").find((t) => String(t.inputs.family).endsWith("-server"))!;
        const [def] = JSON.parse(server.inputs.containerDefinitions as string) as { secrets: { name: string; valueFrom: string }[] }[];
        def.secrets.forEach((s) => refs.set(s.name, s.valueFrom));
    } else if (platform === "azure") {
        const template = run.one("azure-native:app:ContainerApp").inputs.template as { containers: { env: { name: string; secretRef?: string }[] }[] };
        template.containers[0].env.filter((e) => e.secretRef).forEach((e) => refs.set(e.name, e.secretRef!));
    } else {
        const template = run.one("gcp:cloudrunv2/service:Service").inputs.template as { containers: { envs: { name: string; valueSource?: { secretKeyRef: { secret: string } } }[] }[] };
        template.containers[0].envs.filter((e) => e.valueSource).forEach((e) => refs.set(e.name, e.valueSource!.secretKeyRef.secret));
    }
    return refs;
}

/** Every value the platform's secret store holds (kept as secrets). */
function storedSecrets(run: ProgramRun, platform: PlatformName): string[] {
    switch (platform) {
        case "docker":
            return run.byType("docker:index/container:Container").flatMap((c) => allStrings(c.inputs.uploads));
        case "aws":
            return run.byType("aws:secretsmanager/secretVersion:SecretVersion").flatMap((v) => allStrings(v.inputs.secretString));
        case "azure":
            return run.byType("azure-native:keyvault:Secret").flatMap((s) => allStrings(s.inputs.properties));
        case "gcp":
            return run.byType("gcp:secretmanager/secretVersion:SecretVersion").flatMap((v) => allStrings(v.inputs.secretData));
    }
}

function assertNoPlainLeak(run: ProgramRun, secrets: string[]): void {
    for (const r of run.resources) {
        if (r.type.startsWith("random:")) continue;
        for (const s of plainStrings(r.inputs)) {
            for (const secret of secrets) {
                assert.ok(!s.includes(secret), `${r.type} ${r.name} shows a secret in a plain input`);
            }
        }
    }
}

describe("access secrets on every platform, under mocks", function () {
    this.timeout(180000);

    for (const platform of ["docker", "aws", "azure", "gcp"] as PlatformName[]) {
        it(`${platform}: mlflow:users — every account's password (given or generated) reaches the server only through the secret store`, async () => {
            const run = await runProgram("staging", { ...BASE[platform](), ...USERS }, ["mlflow:userPasswords"]);
            const generated = GENERATED("mlflow-staging-user-alice-password");
            const refs = secretRefs(run, platform);
            assert.ok(refs.has("MLFLOW_AUTH_USERS"), `${platform}: MLFLOW_AUTH_USERS is not taken from the secret store: ${[...refs.keys()].join(", ")}`);
            const users = storedSecrets(run, platform).map((v) => { try { return JSON.parse(v); } catch { return undefined; } }).find((v) => Array.isArray(v) && v[0]?.name === "alice");
            assert.deepStrictEqual(users, [{ name: "alice", password: generated, admin: false }, { name: "bob", password: GIVEN_PASSWORD, admin: true }]);
            assertNoPlainLeak(run, [GIVEN_PASSWORD, generated]);
            // The grants are not secret: plain env the entrypoint reconciles.
            assert.ok(!refs.has("MLFLOW_AUTH_GRANTS"));
            assert.ok(run.secretOutputs.has("userPasswords"));
            assert.deepStrictEqual(JSON.parse(run.outputs.userPasswords as string), { alice: generated, bob: GIVEN_PASSWORD });
        });

        it(`${platform}: mlflow:sso — client secret, session key and the SSO database URI only through the secret store; the redirect URI is an output`, async () => {
            const run = await runProgram("staging", { ...BASE[platform](), ...SSO }, ["mlflow:ssoClientSecret"]);
            const refs = secretRefs(run, platform);
            for (const name of ["OIDC_CLIENT_SECRET", "SECRET_KEY", "OIDC_USERS_DB_URI"]) {
                assert.ok(refs.has(name), `${platform}: ${name} is not taken from the secret store`);
            }
            for (const name of ["MLFLOW_AUTH_ADMIN_PASSWORD", "MLFLOW_AUTH_DATABASE_URI", "MLFLOW_FLASK_SERVER_SECRET_KEY"]) {
                assert.ok(!refs.has(name), `${platform}: basic auth's ${name} with SSO on`);
            }
            assert.ok(storedSecrets(run, platform).includes(CLIENT_SECRET), `${platform}: the client secret is not in the secret store`);
            assertNoPlainLeak(run, [CLIENT_SECRET, GENERATED("mlflow-staging-flask-secret-key")]);
            assert.ok(!("adminPassword" in run.outputs), "no admin password with SSO");
            assert.match(String(run.outputs.ssoRedirectUri), /^https?:\/\/[^/]+\/callback$/);
            assert.ok(!run.secretOutputs.has("ssoRedirectUri"));
        });
    }

    it("the SSO redirect URI is each platform's public URL", async () => {
        const docker = await runProgram("staging", { ...BASE.docker(), ...SSO }, ["mlflow:ssoClientSecret"]);
        assert.strictEqual(docker.outputs.ssoRedirectUri, "http://localhost:5001/callback");
        const aws = await runProgram("staging", { ...BASE.aws(), ...SSO, "mlflow:aws": { domain: "mlflow.example.com", hostedZoneId: "Z0123456789ABCDEFGHIJ" } }, ["mlflow:ssoClientSecret"]);
        assert.strictEqual(aws.outputs.ssoRedirectUri, "https://mlflow.example.com/callback");
        const gcp = await runProgram("staging", { ...BASE.gcp(), ...SSO, "mlflow:gcp": { customDomain: "mlflow.example.com" } }, ["mlflow:ssoClientSecret"]);
        assert.strictEqual(gcp.outputs.ssoRedirectUri, "https://mlflow.example.com/callback");
        const azure = await runProgram("staging", { ...BASE.azure(), ...SSO }, ["mlflow:ssoClientSecret"]);
        assert.match(String(azure.outputs.ssoRedirectUri), /^https:\/\/mlflow-staging-server\.[^/]+\/callback$/);
    });

    it("the managed databases get single sign-on's database only with SSO on", async () => {
        const plain = await runProgram("staging", BASE.gcp());
        const sso = await runProgram("staging", { ...BASE.gcp(), ...SSO }, ["mlflow:ssoClientSecret"]);
        const names = (run: ProgramRun) => run.byType("gcp:sql/database:Database").map((d) => d.inputs.name).sort();
        assert.deepStrictEqual(names(plain), ["mlflow", "mlflow_auth"]);
        assert.deepStrictEqual(names(sso), ["mlflow", "mlflow_auth", "mlflow_auth_oidc"]);
        const azure = await runProgram("staging", { ...BASE.azure(), ...SSO }, ["mlflow:ssoClientSecret"]);
        assert.deepStrictEqual(azure.byType("azure-native:dbforpostgresql:Database").map((d) => d.inputs.databaseName).sort(), ["mlflow", "mlflow_auth", "mlflow_auth_oidc"]);
    });
});
