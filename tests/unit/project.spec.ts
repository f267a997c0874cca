// The project files agree with each other and with what Pulumi accepts.
import * as assert from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { PLAIN_KEYS, SECRET_KEYS } from "../../components/config/parse";
import { MLFLOW_VERSION, POSTGRES_IMAGE } from "../../components/versions";
import { ROOT, stackFileConfig } from "./harness";

const read = (...p: string[]) => fs.readFileSync(path.join(ROOT, ...p), "utf8");

describe("project files", () => {
    const project = yaml.load(read("Pulumi.yaml")) as { name: string; runtime: { name: string; options: Record<string, unknown> }; config: Record<string, { type: string; default?: unknown; items?: { type: string } }> };

    it("Pulumi.yaml: project mlflow, TypeScript on nodejs", () => {
        assert.strictEqual(project.name, "mlflow");
        assert.strictEqual(project.runtime.name, "nodejs");
        assert.strictEqual(project.runtime.options.typescript, true);
    });

    it("Pulumi.yaml: every declared key is typed as Pulumi allows, with a default of its type", () => {
        for (const [key, decl] of Object.entries(project.config)) {
            assert.ok(key.startsWith("mlflow:"), key);
            assert.ok(PLAIN_KEYS.includes(key.slice(7) as (typeof PLAIN_KEYS)[number]), `${key} is not read by the program`);
            assert.ok(["string", "integer", "boolean", "array"].includes(decl.type), `${key}: type ${decl.type}`);
            assert.ok("default" in decl, `${key} has no default: Pulumi would require it in every stack`);
            const d = decl.default;
            const ok = { string: typeof d === "string", integer: Number.isInteger(d), boolean: typeof d === "boolean", array: Array.isArray(d) && !!decl.items }[decl.type];
            assert.ok(ok, `${key}: default ${JSON.stringify(d)} is not a ${decl.type}`);
        }
        assert.strictEqual(project.config["mlflow:mlflowVersion"].default, MLFLOW_VERSION);
    });

    it("stack files only use keys the program reads, and never hold a secret in plain text", () => {
        for (const stack of ["dev", "staging", "prod"]) {
            for (const key of Object.keys(stackFileConfig(stack))) {
                if (!key.startsWith("mlflow:")) {
                    // Provider settings the platforms read (the region of the stack).
                    assert.ok(["aws:region", "azure-native:location", "gcp:project", "gcp:region"].includes(key), `${stack}: ${key}`);
                    continue;
                }
                const bare = key.replace(/^mlflow:/, "");
                assert.ok(PLAIN_KEYS.includes(bare as (typeof PLAIN_KEYS)[number]), `${stack}: ${key}`);
                assert.ok(!SECRET_KEYS.includes(bare as (typeof SECRET_KEYS)[number]), `${stack}: ${key} is a secret`);
            }
        }
    });

    it("one MLflow version everywhere: versions.ts, requirements.txt, Dockerfile", () => {
        assert.match(read("components", "image", "requirements.txt"), new RegExp(`^mlflow==${MLFLOW_VERSION.replace(/\./g, "\\.")}$`, "m"));
        assert.match(read("components", "image", "Dockerfile"), new RegExp(`^ARG MLFLOW_VERSION=${MLFLOW_VERSION.replace(/\./g, "\\.")}$`, "m"));
    });

    it("every Python requirement and every npm dependency is pinned exactly", () => {
        for (const line of read("components", "image", "requirements.txt").split("\n")) {
            if (line.trim() && !line.startsWith("#")) {
                assert.match(line, /^[A-Za-z0-9_.\-[\]]+==[0-9][A-Za-z0-9.]*$/, line);
            }
        }
        const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string>; devDependencies: Record<string, string>; engines: { node: string } };
        for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
            assert.match(version, /^\d+\.\d+\.\d+$/, `${name}@${version}`);
        }
        assert.match(pkg.devDependencies.typescript, /^5\./);
        assert.match(pkg.engines.node, /22/);
    });

    it("images are pinned, never latest", () => {
        assert.match(POSTGRES_IMAGE, /^postgres:\d+\.\d+/);
    });
});
