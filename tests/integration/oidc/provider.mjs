// A real OpenID Connect provider for the single sign-on test: panva's oidc-provider with one
// confidential client, a fixed table of accounts and a small username + password sign-in page.
// ESM only, so the test runs it as a child process; its whole configuration comes as JSON in
// $OIDC_TEST_CONFIG: { port, issuer, client: { id, secret, redirectUri }, accounts: [...] }.
import * as crypto from "node:crypto";
import Provider from "oidc-provider";

const config = JSON.parse(process.env.OIDC_TEST_CONFIG ?? "");
/** @type {Map<string, {id: string, email: string, password: string, name: string, preferredUsername: string, groups: string[]}>} */
const accounts = new Map(config.accounts.map((a) => [a.id, a]));

function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, clientId, error) {
    return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in - test provider</title></head>
<body>
<h1>Sign in to ${escapeHtml(clientId)}</h1>
${error ? `<p id="error" role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label>Username <input name="login" id="login" required autofocus></label>
<label>Password <input name="password" id="password" type="password" required></label>
<button type="submit" id="submit">Sign in</button>
</form>
</body></html>`;
}

async function readForm(req) {
    let body = "";
    for await (const chunk of req) {
        body += chunk;
    }
    return new URLSearchParams(body);
}

/** The account whose username (its email) and password match, compared in constant time. */
function authenticate(login, password) {
    for (const account of accounts.values()) {
        const a = crypto.createHash("sha256").update(account.password).digest();
        const b = crypto.createHash("sha256").update(password ?? "").digest();
        if (account.email === login && crypto.timingSafeEqual(a, b)) {
            return account;
        }
    }
    return undefined;
}

const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });

const provider = new Provider(config.issuer, {
    clients: [
        {
            client_id: config.client.id,
            client_secret: config.client.secret,
            redirect_uris: [config.client.redirectUri],
            grant_types: ["authorization_code"],
            response_types: ["code"],
            token_endpoint_auth_method: "client_secret_basic",
        },
    ],
    // Each key is a scope and the claims it releases. The groups claim needs the `groups` scope.
    claims: {
        openid: ["sub"],
        email: ["email", "email_verified"],
        profile: ["name", "preferred_username"],
        groups: ["groups"],
    },
    // Put the claims of the granted scopes into the ID token itself, where the plugin reads groups.
    conformIdTokenClaims: false,
    async findAccount(_ctx, id) {
        const account = accounts.get(id);
        if (!account) {
            return undefined;
        }
        return {
            accountId: id,
            async claims() {
                return { sub: id, email: account.email, email_verified: true, name: account.name, preferred_username: account.preferredUsername, groups: account.groups };
            },
        };
    },
    // A first-party client: every requested scope is granted without a consent page.
    async loadExistingGrant(ctx) {
        const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
        if (grantId) {
            return ctx.oidc.provider.Grant.find(grantId);
        }
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
        grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(" "));
        await grant.save();
        return grant;
    },
    // The client must send a PKCE challenge (the plugin sends S256).
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    jwks: { keys: [privateKey.export({ format: "jwk" })] },
    cookies: { keys: [crypto.randomBytes(32).toString("hex")] },
    // Seconds; set so the provider does not warn about its defaults.
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60, IdToken: 3600, AccessToken: 3600 },
});

// The sign-in page: GET shows the form, POST checks the credentials and resumes the authorization.
provider.use(async (ctx, next) => {
    const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(ctx.path);
    if (!match) {
        return next();
    }
    ctx.set("Cache-Control", "no-store");
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== "login") {
        ctx.throw(400, `unexpected prompt ${details.prompt.name}`);
    }
    const clientId = String(details.params.client_id);
    if (ctx.method === "GET" && !match[2]) {
        ctx.type = "html";
        ctx.body = loginPage(details.uid, clientId);
        return;
    }
    if (ctx.method !== "POST" || !match[2]) {
        ctx.throw(405);
    }
    const form = await readForm(ctx.req);
    const account = authenticate(form.get("login"), form.get("password"));
    if (!account) {
        console.log(`sign-in refused for ${JSON.stringify(form.get("login"))}`);
        ctx.status = 401;
        ctx.type = "html";
        ctx.body = loginPage(details.uid, clientId, "Wrong username or password.");
        return;
    }
    console.log(`signed in ${account.email}`);
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: account.id } }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(returnTo);
});

provider.listen(config.port, "127.0.0.1", () => {
    console.log(`oidc-provider ${config.issuer} listening`);
});
