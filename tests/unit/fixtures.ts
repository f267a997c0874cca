// Stack configurations for tests that need all three stacks on Docker: dev is the real stack
// file; staging and prod as they would be on a Docker host (the stack files run on AWS).
import * as assert from "assert";
import { parseConfig, ParseInput } from "../../components/config/parse";
import { ConfigError } from "../../components/config/problems";
import { stackFileConfig } from "./harness";

const DOCKER_STAGING = {
    "mlflow:platform": "docker",
    "mlflow:port": 5001,
    "mlflow:auth": true,
    "mlflow:backend": { type: "postgres", mode: "container" },
    "mlflow:artifacts": { type: "local", prefix: "staging" },
};

const DOCKER_PROD = {
    "mlflow:platform": "docker",
    "mlflow:port": 5002,
    "mlflow:auth": true,
    "mlflow:workers": 4,
    "mlflow:backend": { type: "postgres", mode: "container" },
    "mlflow:artifacts": { type: "local", prefix: "prod" },
};

export function dockerStackConfig(stack: string): Record<string, unknown> {
    switch (stack) {
        case "staging":
            return { ...DOCKER_STAGING };
        case "prod":
            return { ...DOCKER_PROD };
        default:
            return stackFileConfig(stack);
    }
}

/** The message of a configuration parseConfig refuses; fails the test when it is accepted. */
export function refusal(i: ParseInput): string {
    try {
        parseConfig(i);
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return e.message;
    }
    assert.fail(`expected stack ${i.stack} to be refused: ${JSON.stringify(i.raw)}`);
}
