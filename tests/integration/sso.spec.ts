// Single sign-on with OpenID Connect, end to end against real components: panva's oidc-provider
// (tests/integration/oidc/provider.mjs), MLflow with mlflow-oidc-auth started from the project's
// own server contract (mlflow:sso), and Debian's Chromium driven by playwright-core.
// Needs /usr/bin/chromium (scripts/setup.sh).
import * as assert from "assert";
import * as crypto from "crypto";
import * as path from "path";
import { BrowserContext, Page } from "playwright-core";
import { basicAuth, python, request } from "./server";
import { freePort, Postgres, startPostgres, workDir } from "./services";
import { launchBrowser, RunningBrowser, signInAtProvider } from "./oidc/browser";
import { createExperimentInUi, fetchFromPage } from "./oidc/page";
import { ACCOUNTS, RunningProvider, startProvider, TestAccount } from "./oidc/provider";
import { SsoServer, startSsoServer } from "./oidc/ssoServer";

const CLIENT_ID = "mlflow";
// The provider releases the groups claim only with the `groups` scope: mlflow:sso.scopes asks for it.
const SCOPES = ["openid", "email", "profile", "groups"];
const BACKENDS = ["sqlite", "postgres"] as const;

BACKENDS.forEach((backend) => {
    describe(`single sign-on (${backend}): a real OpenID Connect provider, MLflow and browser`, function () {
        this.timeout(180000);
        let pg: Postgres | undefined;
        let idp: RunningProvider;
        let server: SsoServer;
        let browser: RunningBrowser;
        let alice: { context: BrowserContext; page: Page };
        let aliceToken: string;
        let experimentId: string;
        const experimentName = `sso-ui-${backend}-${crypto.randomBytes(4).toString("hex")}`;

        before(async function () {
            const [idpPort, port] = await Promise.all([freePort(), freePort()]);
            const clientSecret = crypto.randomBytes(24).toString("base64url");
            pg = backend === "postgres" ? await startPostgres() : undefined;
            idp = await startProvider({ port: idpPort, clientId: CLIENT_ID, clientSecret, redirectUri: `http://127.0.0.1:${port}/callback` });
            server = await startSsoServer({
                name: `sso-${backend}`,
                port,
                issuer: idp.issuer,
                clientId: CLIENT_ID,
                clientSecret,
                scopes: SCOPES,
                allowedGroups: ["mlflow-users"],
                adminGroups: ["mlflow-admins"],
                postgres: pg,
            });
            browser = await launchBrowser();
        });

        after(async () => {
            await browser?.stop();
            await server?.stop();
            await idp?.service.stop();
            await pg?.service.stop();
        });

        /** Opens the UI in a fresh browser profile and signs in at the provider as `account`. */
        async function signIn(account: TestAccount): Promise<{ context: BrowserContext; page: Page; authorize: URL }> {
            const context = await browser.browser.newContext();
            const page = await context.newPage();
            const authorizeRequest = page.waitForRequest((r) => r.url().startsWith(`${idp.issuer}/auth?`));
            await page.goto(`${server.url}/`);
            const authorize = new URL((await authorizeRequest).url());
            await signInAtProvider(page, idp.issuer, account);
            return { context, page, authorize };
        }

        function failureContext(): string {
            return `\n--- server log ---\n${server.service.log().slice(-3000)}\n--- provider log ---\n${idp.service.log().slice(-1000)}`;
        }

        it("sends a visitor to the provider and brings alice back signed in", async () => {
            const { context, page, authorize } = await signIn(ACCOUNTS.alice);
            alice = { context, page };
            // The authorization request carries what the contract configured, with PKCE.
            assert.strictEqual(authorize.searchParams.get("client_id"), CLIENT_ID);
            assert.strictEqual(authorize.searchParams.get("redirect_uri"), `${server.url}/callback`);
            assert.deepStrictEqual(authorize.searchParams.get("scope")?.split(" "), SCOPES);
            assert.strictEqual(authorize.searchParams.get("code_challenge_method"), "S256");

            await page.waitForURL((url) => url.origin === server.url, { timeout: 30000 });
            // Signed in: alice's name from the ID token in MLflow's sidebar, beside the plugin's entries.
            await page.getByText(ACCOUNTS.alice.name, { exact: true }).waitFor({ timeout: 30000 });
            await page.getByText("Recent Experiments").waitFor({ timeout: 30000 });
            const screenshot = path.join(workDir("sso"), "signed-in.png");
            await page.screenshot({ path: screenshot });
            console.log(`      signed-in UI: ${screenshot}`);

            const current = await fetchFromPage(page, "GET", "/api/2.0/mlflow/users/current");
            assert.strictEqual(current.status, 200, current.body + failureContext());
            const profile = JSON.parse(current.body) as { username: string; display_name: string; is_admin: boolean };
            assert.deepStrictEqual([profile.username, profile.display_name, profile.is_admin], [ACCOUNTS.alice.email, ACCOUNTS.alice.name, false]);
            // Without the session cookie the API refuses.
            assert.strictEqual((await request(server.port, "/api/2.0/mlflow/experiments/search?max_results=1", {})).status, 401);
        });

        it("issues alice an access token from her session, and only from a session", async () => {
            const issued = await fetchFromPage(alice.page, "PATCH", "/api/2.0/mlflow/users/access-token", {});
            assert.strictEqual(issued.status, 200, issued.body + failureContext());
            aliceToken = (JSON.parse(issued.body) as { token: string }).token;
            assert.ok(aliceToken && aliceToken.length >= 16, `unexpected token in ${issued.body}`);

            const api = "/api/2.0/mlflow/experiments/search?max_results=1";
            assert.strictEqual((await request(server.port, api, { Authorization: basicAuth(ACCOUNTS.alice.email, aliceToken) })).status, 200);
            assert.strictEqual((await request(server.port, api, { Authorization: basicAuth(ACCOUNTS.alice.email, `${aliceToken}x`) })).status, 401);
            assert.strictEqual((await request(server.port, api, { Authorization: basicAuth(ACCOUNTS.ann.email, aliceToken) })).status, 401);
            // A token cannot mint another.
            const minted = await request(server.port, "/api/2.0/mlflow/users/access-token", { Authorization: basicAuth(ACCOUNTS.alice.email, aliceToken) }, "PATCH");
            assert.strictEqual(minted.status, 403, minted.body);
        });

        it("creates an experiment through the UI that the REST API shows to alice's token", async () => {
            const id = (experimentId = await createExperimentInUi(alice.page, experimentName));
            const query = `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(experimentName)}`;
            const found = await request(server.port, query, { Authorization: basicAuth(ACCOUNTS.alice.email, aliceToken) });
            assert.strictEqual(found.status, 200, found.body + failureContext());
            const experiment = (JSON.parse(found.body) as { experiment: { experiment_id: string; name: string; lifecycle_stage: string } }).experiment;
            assert.deepStrictEqual([experiment.experiment_id, experiment.name, experiment.lifecycle_stage], [id, experimentName, "active"]);
        });

        it("lets the MLflow Python client log and read back a run with alice's token, and refuses a wrong one", async function () {
            this.timeout(120000);
            const env = { MLFLOW_TRACKING_URI: server.url, MLFLOW_TRACKING_USERNAME: ACCOUNTS.alice.email, MLFLOW_TRACKING_PASSWORD: aliceToken };
            const logged = await python("oidc/token_check.py", ["log", experimentName], env);
            assert.strictEqual(logged.code, 0, `${logged.stdout}\n${logged.stderr.slice(-3000)}${failureContext()}`);
            const run = JSON.parse(logged.stdout.trim().split("\n").pop()!) as { experiment_id: string; user_id: string; params: Record<string, string>; metrics: Record<string, number> };
            // In the experiment alice created in the UI, attributed to the token's user.
            assert.strictEqual(run.experiment_id, experimentId);
            assert.strictEqual(run.user_id, ACCOUNTS.alice.email);
            assert.deepStrictEqual(run.params, { optimizer: "adam" });
            assert.deepStrictEqual(run.metrics, { accuracy: 0.93 });

            const refused = await python("oidc/token_check.py", ["refused"], { ...env, MLFLOW_TRACKING_PASSWORD: "not-the-token" });
            assert.strictEqual(refused.code, 0, `a wrong token must be refused: ${refused.stdout}\n${refused.stderr.slice(-2000)}`);
            assert.match(refused.stdout, /Authentication required/);
            // What the client got: a 401 (the raw status, which the client's message does not carry).
            const raw = await request(server.port, "/api/2.0/mlflow/experiments/search?max_results=1", { Authorization: basicAuth(ACCOUNTS.alice.email, "not-the-token") });
            assert.strictEqual(raw.status, 401);
        });

        it("refuses mallory, who signs in at the provider but is in no allowed group", async () => {
            const { context, page } = await signIn(ACCOUNTS.mallory);
            try {
                await page.waitForURL((url) => url.origin === server.url && url.pathname.startsWith("/oidc/ui/auth"), { timeout: 30000 });
                // The plugin's sign-in page, showing why.
                await page.getByText("User is not allowed to login").waitFor({ timeout: 30000 });
                assert.match(idp.service.log(), new RegExp(`signed in ${ACCOUNTS.mallory.email}`), "the provider accepted her credentials");
                for (const api of ["/api/2.0/mlflow/users/current", "/api/2.0/mlflow/experiments/search?max_results=1"]) {
                    const res = await fetchFromPage(page, "GET", api);
                    assert.strictEqual(res.status, 401, `${api}: ${res.status} ${res.body}`);
                }
            } finally {
                await context.close();
            }
        });

        it("makes ann, of the admin group, an administrator; alice is not", async () => {
            const { context, page } = await signIn(ACCOUNTS.ann);
            try {
                await page.waitForURL((url) => url.origin === server.url, { timeout: 30000 });
                await page.getByText(ACCOUNTS.ann.name, { exact: true }).waitFor({ timeout: 30000 });
                const current = JSON.parse((await fetchFromPage(page, "GET", "/api/2.0/mlflow/users/current")).body) as { username: string; is_admin: boolean };
                assert.deepStrictEqual([current.username, current.is_admin], [ACCOUNTS.ann.email, true]);
                // An admin-only endpoint of the plugin.
                const details = await fetchFromPage(page, "GET", "/api/2.0/mlflow/users/details");
                assert.strictEqual(details.status, 200, details.body);
                assert.ok((JSON.parse(details.body) as { username: string }[]).some((u) => u.username === ACCOUNTS.alice.email), details.body);
                assert.strictEqual((await fetchFromPage(alice.page, "GET", "/api/2.0/mlflow/users/details")).status, 403);
            } finally {
                await context.close();
            }
        });
    });
});
