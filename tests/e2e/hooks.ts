// Root hooks of the e2e suite: whatever fails, nothing of the run is left in Docker.
import { emergencyTeardown, keepForInspection, suite } from "./suite";

let failed = false;

export const mochaHooks = {
    beforeAll(): void {
        suite();
    },
    afterEach(this: Mocha.Context): void {
        if (this.currentTest?.state === "failed") failed = true;
    },
    async afterAll(this: Mocha.Context): Promise<void> {
        this.timeout(15 * 60 * 1000);
        await emergencyTeardown();
        const dir = keepForInspection();
        if (failed) {
            console.error(`[e2e] kept the scratch project, state and transcript for a look: ${dir}`);
        } else {
            suite().ws.remove();
        }
    },
};
