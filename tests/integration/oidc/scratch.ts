import * as crypto from "crypto";
import * as fs from "fs";
import { parseConfig } from "../../../components/config/parse";
import { buildServerContract } from "../../../components/contract";
import { localArtifactsContract, sqliteBackendContract } from "../../../components/stores/contracts";
import { runContract } from "../server";
import { freePort, stopAll, workDir } from "../services";
import { ACCOUNTS, startProvider } from "./provider";
import { launchBrowser, signInAtProvider } from "./browser";

async function main() {
    const idpPort = await freePort();
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const secret = crypto.randomBytes(24).toString("hex");
    const idp = await startProvider({ port: idpPort, clientId: "mlflow", clientSecret: secret, redirectUri: `${origin}/callback` });
    const { spec } = parseConfig({ project: "mlflow", stack: "dev", raw: { platform: "docker", backend: "sqlite", artifacts: "local", auth: false,
        sso: { issuer: idp.issuer, clientId: "mlflow", allowedGroups: ["mlflow-users"], adminGroups: ["mlflow-admins"], scopes: ["openid", "email", "profile", "groups"] } },
        secretsSet: new Set(["ssoClientSecret"] as const) });
    console.log(JSON.stringify(spec.auth), spec.workers, JSON.stringify(spec.backend), JSON.stringify(spec.artifacts));
    const contract = buildServerContract({ spec, backend: sqliteBackendContract(spec.backend as any), artifacts: localArtifactsContract((spec.artifacts as any).path, (spec.artifacts as any).prefix),
        platform: { listenPort: port, servedHosts: ["127.0.0.1", "localhost"], servedOrigins: [origin], publicOrigin: origin, https: false },
        sso: { clientSecret: secret, sessionKey: crypto.randomBytes(32).toString("hex") } });
    console.log(JSON.stringify(contract.env, null, 1), contract.args);
    const t = Date.now();
    const server = await runContract("sso", contract, { dataDir: workDir("sso-data") });
    console.log("mlflow up in", (Date.now() - t) / 1000);
    const b = await launchBrowser();
    try {
        const ctx = await b.browser.newContext();
        const page = await ctx.newPage();
        page.on("console", (m) => console.log("console:", m.text().slice(0, 200)));
        await page.goto(server.url + "/");
        console.log("at", page.url());
        await signInAtProvider(page, idp.issuer, ACCOUNTS.alice);
        await page.waitForLoadState("networkidle");
        console.log("after", page.url());
        await page.waitForTimeout(5000);
        const dir = workDir("scratch");
        await page.screenshot({ path: dir + "/a.png", fullPage: true });
        fs.writeFileSync(dir + "/a.html", await page.content());
        console.log(dir);
        console.log(await page.evaluate(() => document.body.innerText.slice(0, 2000)));
    } finally {
        await b.stop();
        console.log(server.service.log().slice(-5000));
        console.log(idp.service.log().slice(-2000));
        await stopAll();
    }
}
main().catch(async (e) => { console.error(e); await stopAll(); process.exit(1); });
