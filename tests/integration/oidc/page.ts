// What the single sign-on test does in MLflow's web UI and through the page's own session.
import { Page } from "playwright-core";

export interface PageResponse {
    status: number;
    body: string;
}

/** A same-origin request from the page: it carries the browser's session cookie and Origin. */
export async function fetchFromPage(page: Page, method: string, urlPath: string, json?: unknown): Promise<PageResponse> {
    return page.evaluate(
        async ({ method, urlPath, body }) => {
            const headers: Record<string, string> = body === undefined ? {} : { "Content-Type": "application/json" };
            const res = await fetch(urlPath, { method, headers, body, credentials: "same-origin" });
            return { status: res.status, body: await res.text() };
        },
        { method, urlPath, body: json === undefined ? undefined : JSON.stringify(json) },
    );
}

/** Creates an experiment with MLflow 3.17's "Create" dialog; resolves to the id the UI opened. */
export async function createExperimentInUi(page: Page, name: string): Promise<string> {
    await page.getByRole("link", { name: "Experiments", exact: true }).click();
    await page.getByTestId("create-experiment-button").click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Experiment Name").fill(name);
    await dialog.getByRole("button", { name: "Create", exact: true }).click();
    // The UI opens the experiment it created.
    await page.waitForURL(/#\/experiments\/\d+/, { timeout: 30000 });
    const id = /#\/experiments\/(\d+)/.exec(page.url())![1];
    await page.getByText(name, { exact: true }).first().waitFor({ timeout: 30000 });
    return id;
}
