import * as crypto from "crypto";
import * as fs from "fs";
import { freePort, stopAll, workDir } from "../services";
import { ACCOUNTS, startProvider } from "./provider";
import { launchBrowser, signInAtProvider } from "./browser";
import { startSsoServer } from "./ssoServer";

async function main() {
    const idpPort = await freePort();
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const secret = crypto.randomBytes(24).toString("hex");
    const idp = await startProvider({ port: idpPort, clientId: "mlflow", clientSecret: secret, redirectUri: `${origin}/callback` });
    const t = Date.now();
    const server = await startSsoServer({ name: "sso", port, issuer: idp.issuer, clientId: "mlflow", clientSecret: secret, scopes: ["openid", "email", "profile", "groups"], allowedGroups: ["mlflow-users"], adminGroups: ["mlflow-admins"] });
    console.log("mlflow up in", (Date.now() - t) / 1000);
    const b = await launchBrowser();
    try {
        const ctx = await b.browser.newContext();
        const page = await ctx.newPage();
        page.on("console", (m) => console.log("console:", m.text().slice(0, 200)));
        page.on("framenavigated", (f) => { if (f === page.mainFrame()) console.log("nav:", f.url()); });
        await page.goto(server.url + "/");
        console.log("at", page.url());
        await signInAtProvider(page, idp.issuer, ACCOUNTS.alice);
        await page.waitForURL((u) => u.href.startsWith(server.url));
        console.log("after", page.url());
        await page.waitForTimeout(3000);
        await page.getByRole("link", { name: "Experiments", exact: true }).click();
        await page.waitForTimeout(3000);
        console.log("URL", page.url());
        await page.getByTestId("create-experiment-button").click();
        await page.waitForTimeout(1500);
        console.log(await page.evaluate(() => [...document.querySelectorAll("[role=dialog] input, [role=dialog] button, [role=dialog] label")].map((b) => `${b.tagName}|${(b as HTMLElement).innerText?.trim()}|${b.getAttribute("data-testid")}|${b.getAttribute("aria-label")}|${b.getAttribute("id")}|${b.getAttribute("placeholder")}`).join("\n")));
        console.log(await page.evaluate(() => [...document.querySelectorAll("button")].map((b) => `${b.innerText.trim()}|${b.getAttribute("data-testid")}|${b.getAttribute("aria-label")}`).join("\n")));
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
