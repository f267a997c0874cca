// The headless browser of the single sign-on test: Debian's chromium driven by playwright-core,
// registered as a Service so the root hook stops it whatever happens to the test.
import * as path from "path";
import { Browser, chromium, Page } from "playwright-core";
import { Service, workDir } from "../services";
import { TestAccount } from "./provider";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export interface RunningBrowser {
    browser: Browser;
    stop(): Promise<void>;
}

export async function launchBrowser(): Promise<RunningBrowser> {
    // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start. A browser
    // server, because it hands out its process: Playwright starts it as a process group leader,
    // and the Service stops that group if the test does not get to.
    const server = await chromium.launchServer({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    const service = new Service("chromium", server.process(), path.join(workDir("chromium"), "no-log"));
    try {
        const browser = await chromium.connect(server.wsEndpoint());
        return {
            browser,
            async stop() {
                await browser.close().catch(() => undefined);
                await server.close().catch(() => undefined);
                await service.stop();
            },
        };
    } catch (e) {
        await server.close().catch(() => undefined);
        await service.stop();
        throw e;
    }
}

/** Fills the provider's sign-in form (provider.mjs) on the page it is showing. */
export async function signInAtProvider(page: Page, issuer: string, account: TestAccount): Promise<void> {
    await page.waitForURL((url) => url.href.startsWith(`${issuer}/interaction/`), { timeout: 30000 });
    await page.fill("#login", account.email);
    await page.fill("#password", account.password);
    await page.click("#submit");
}
