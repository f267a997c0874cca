// Root hook of the integration suite: whatever failed, no service it started keeps running.
import { stopAll } from "./services";

export const mochaHooks = {
    async afterAll(): Promise<void> {
        const left = await stopAll();
        if (left.length > 0) {
            console.log(`[integration] stopped what was still running: ${left.join(", ")}`);
        }
    },
};
