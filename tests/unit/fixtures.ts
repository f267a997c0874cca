// Stack configurations for tests that need all three stacks on Docker: dev is the real stack
// file; staging and prod as they would be on a Docker host (the stack files run on AWS).
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
