// Bad configuration through the real CLI: `pulumi preview` fails with the program's one message
// per problem (key, value, what is allowed, the fix), no stack trace, and registers nothing.
import * as assert from "assert";
import { CommandResult } from "./harness/cli";
import { stackFor } from "./suite";

/** A Node.js or Python stack frame, or the name of an exception class leaking through. */
function stackTraceLines(output: string): string[] {
    return output.split("\n").filter((l) => /^\s+at .+[:(]\d+:\d+\)?$/.test(l) || /\b(TypeError|ReferenceError|Traceback)\b/.test(l));
}

function problemLines(result: CommandResult): string[] {
    return result.output.split("\n").filter((l) => /^\s+- mlflow:/.test(l));
}

describe("bad configuration through the real CLI", function () {
    const bad = stackFor("badconfig");
    const cloud = stackFor("badcloud");

    it("eleven bad values: one message each, with its fix, no stack trace, nothing registered", async function () {
        await bad.init({
            "mlflow:platform": "docker",
            "mlflow:port": 70000,
            "mlflow:workers": 0,
            "mlflow:auth": "yes",
            "mlflow:platfrom": "docker",
            "mlflow:mlflowVersion": "latest",
            "mlflow:backend": { type: "mysql" },
            "mlflow:allowedHosts": ["*"],
            "mlflow:extraArgs": ["--port", "6000", "--disable-security-middleware"],
            "mlflow:extraEnv": { MLFLOW_BACKEND_STORE_URI: "sqlite:///elsewhere.db" },
            "mlflow:adminPassword": "stored-in-plain-text",
        });
        const result = await bad.pulumi(["preview"], { allowFailure: true });
        assert.notStrictEqual(result.code, 0, "preview fails");
        assert.match(result.output, new RegExp(`Invalid configuration for stack '${bad.name}' \\(\\d+ problems\\):`));
        const problems = problemLines(result);
        const keys = ["port", "workers", "auth", "platfrom", "mlflowVersion", "backend", "allowedHosts", "extraArgs", "extraEnv", "adminPassword"];
        for (const key of keys) {
            assert.ok(problems.some((l) => l.includes(`mlflow:${key}`)), `a message names mlflow:${key}:\n${result.output}`);
        }
        assert.ok(problems.length >= 11, `at least eleven problems (extraArgs has two):\n${problems.join("\n")}`);
        assert.match(result.output, /did you mean mlflow:platform/i);
        assert.match(result.output, /Fix: pulumi config set --secret mlflow:adminPassword|--secret/);
        assert.ok(!result.output.includes("stored-in-plain-text"), "the plaintext secret is not echoed");
        assert.deepStrictEqual(stackTraceLines(result.output), [], result.output);
        assert.strictEqual(await bad.resourceCount(), 0, "the stack's state holds no resources");
    });

    it("SQLite on a cloud platform is refused before anything is registered", async function () {
        await cloud.init({
            "aws:region": "eu-west-1",
            "mlflow:platform": "aws",
            "mlflow:backend": { type: "sqlite" },
            "mlflow:artifacts": { type: "s3" },
        });
        const result = await cloud.pulumi(["preview"], { allowFailure: true });
        assert.notStrictEqual(result.code, 0);
        const problems = problemLines(result);
        assert.ok(problems.some((l) => /mlflow:backend/.test(l) && /sqlite/i.test(l)), result.output);
        assert.match(result.output, /Fix: pulumi config set/);
        assert.deepStrictEqual(stackTraceLines(result.output), [], result.output);
        assert.strictEqual(await cloud.resourceCount(), 0);
    });

    it("a value of the wrong type for a typed key is refused by the CLI itself, naming the key", async function () {
        await bad.pulumi(["config", "set", "mlflow:workers", "two"]);
        const result = await bad.pulumi(["preview"], { allowFailure: true });
        assert.notStrictEqual(result.code, 0);
        assert.match(result.output, /mlflow:workers/);
        assert.deepStrictEqual(stackTraceLines(result.output), [], result.output);
        assert.strictEqual(await bad.resourceCount(), 0);
    });
});
