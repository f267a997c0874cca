// The offline plan (npm run plan): secrets never shown, stable output, a readable diff, and the
// CI readiness rules that skip a stack whose credentials are not configured.
import * as assert from "assert";
import { parseArgs, planStack } from "../../scripts/plan/cli";
import { diffPlans, renderDiff } from "../../scripts/plan/diff";
import { Plan, PLAN_FORMAT, PlanResource } from "../../scripts/plan/model";
import { readiness } from "../../scripts/plan/readiness";
import { renderJson, renderTree, secretStringsOf, toPlan, treeOrder } from "../../scripts/plan/render";
import { offlineConfig, Registration } from "../../scripts/plan/run";

const SIG = "4dabf18193072939515e22adb298388d";
const secret = (value: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", value });

function reg(type: string, name: string, inputs: Record<string, unknown>, parent?: Registration): Registration {
    const chain = parent ? `${parent.urn!.split("::")[2].split("$").pop()}$${type}` : type;
    return { type, name, urn: `urn:pulumi:test::mlflow::${chain}::${name}`, parentUrn: parent?.urn, custom: !type.startsWith("mlflow:"), read: false, protect: false, retainOnDelete: false, inputs };
}

function planOf(registrations: Registration[], outputs: Record<string, unknown> = {}): Plan {
    return toPlan({ project: "mlflow", stack: "test", registrations, outputs, secretOutputs: new Set() }, { config: {}, secretKeys: [] });
}

describe("offline plan", function () {
    this.timeout(60000);

    describe("secrets", () => {
        const password = "Adm1n pass@word:/?#%& zz";

        it("a secret config value never appears in the tree or the JSON of a real run", async () => {
            const plan = await planStack("dev", undefined, { config: { "mlflow:auth": true, "mlflow:adminPassword": password }, secretKeys: ["mlflow:adminPassword"] });
            const texts = [renderTree(plan), renderJson(plan)];
            for (const text of texts) {
                for (const form of [password, encodeURIComponent(password), JSON.stringify(password).slice(1, -1)]) {
                    assert.ok(!text.includes(form), `secret shown as ${form}`);
                }
                assert.ok(text.includes("[secret]"));
            }
            assert.strictEqual(plan.config["mlflow:adminPassword"], "[secret]");
            assert.strictEqual(plan.outputs.adminPassword, "[secret]", "the admin password output stays masked");
        });

        it("masks secret-wrapped inputs, and scrubs a secret value leaked into a plain input", () => {
            const parent = reg("mlflow:index:Deployment", "mlflow-test", {});
            const plan = toPlan(
                {
                    project: "mlflow",
                    stack: "test",
                    registrations: [
                        parent,
                        reg("aws:secretsmanager/secretVersion:SecretVersion", "mlflow-test-secret", { secretString: secret("s3cr3t-value"), nested: { list: [secret({ a: 1 })] } }, parent),
                        reg("docker:index/container:Container", "mlflow-test-leak", { envs: [`DB=postgresql://u:${encodeURIComponent("s3cr3t-value")}@h/db`, "PLAIN=ok"] }, parent),
                    ],
                    outputs: { password: "s3cr3t-value", url: "http://x" },
                    secretOutputs: new Set(["password"]),
                },
                { config: { "mlflow:dbPassword": "s3cr3t-value", "mlflow:port": 5000 }, secretKeys: ["mlflow:dbPassword"], secretStrings: secretStringsOf(["s3cr3t-value"]) },
            );
            const json = renderJson(plan);
            assert.ok(!json.includes("s3cr3t"), json);
            assert.ok(!renderTree(plan).includes("s3cr3t"));
            const sv = plan.resources.find((r) => r.name === "mlflow-test-secret")!;
            assert.deepStrictEqual(sv.inputs, { nested: { list: ["[secret]"] }, secretString: "[secret]" });
            const leak = plan.resources.find((r) => r.name === "mlflow-test-leak")!;
            assert.deepStrictEqual(leak.inputs.envs, ["DB=postgresql://u:[secret]@h/db", "PLAIN=ok"]);
            assert.deepStrictEqual(plan.config, { "mlflow:dbPassword": "[secret]", "mlflow:port": 5000 });
        });

        it("replaces secure: stack values (top level or nested) by placeholders and marks their keys secret", () => {
            const out = offlineConfig({
                "mlflow:postgresUrl": { secure: "v1:abc" },
                "mlflow:artifacts": { type: "s3", accessKey: { secure: "v1:def" } },
                "aws:region": "eu-west-1",
            });
            assert.deepStrictEqual(out.secretKeys, ["mlflow:artifacts", "mlflow:postgresUrl"]);
            assert.match(String(out.config["mlflow:postgresUrl"]), /^postgresql:\/\/.+@.+\/mlflow$/, "a URL placeholder the program accepts");
            assert.strictEqual((out.config["mlflow:artifacts"] as Record<string, unknown>).type, "s3");
            assert.strictEqual(out.config["aws:region"], "eu-west-1", "provider config passes through");
        });
    });

    describe("stable output", () => {
        it("two runs of a stack give identical JSON and tree", async () => {
            for (const stack of ["dev", "prod"]) {
                const a = await planStack(stack);
                const b = await planStack(stack);
                assert.strictEqual(renderJson(a), renderJson(b), stack);
                assert.strictEqual(renderTree(a), renderTree(b), stack);
                assert.ok(a.resources.length > 0);
                assert.strictEqual(a.format, PLAN_FORMAT);
                assert.ok(!renderJson(a).includes(process.cwd()), "no absolute checkout path (base and head checkouts must compare equal)");
            }
        });

        it("order depends on the tree, not on registration order", () => {
            const root = reg("mlflow:index:Deployment", "mlflow-test", {});
            const b = reg("docker:index/volume:Volume", "mlflow-test-b", { name: "b" }, root);
            const a = reg("docker:index/volume:Volume", "mlflow-test-a", { name: "a" }, root);
            const one = planOf([root, b, a]);
            const two = planOf([a, root, b]);
            assert.strictEqual(renderJson(one), renderJson(two));
            assert.deepStrictEqual(
                treeOrder(one.resources).map((r) => r.name),
                ["mlflow-test", "mlflow-test-a", "mlflow-test-b"],
            );
            assert.match(renderTree(one), /└─ mlflow:index:Deployment {2}mlflow-test\n {3}├─ docker:index:Volume {2}mlflow-test-a {2}name=a\n {3}└─ docker:index:Volume {2}mlflow-test-b/);
        });

        it("finds a parent from the URN's type chain when the parent was not recorded", () => {
            const root = reg("mlflow:index:Deployment", "mlflow-test", {});
            const child = { ...reg("docker:index/volume:Volume", "mlflow-test-data", {}, root), parentUrn: undefined };
            const plan = planOf([root, child]);
            assert.strictEqual(plan.resources.find((r) => r.name === "mlflow-test-data")!.parent, root.urn);
        });
    });

    describe("diff", () => {
        it("shows an added, a removed and a changed resource with the changed properties", () => {
            const root = reg("mlflow:index:Deployment", "mlflow-test", {});
            const base = planOf(
                [
                    root,
                    reg("docker:index/container:Container", "mlflow-test-server", { name: "mlflow-test-server", ports: [{ internal: 5000, external: 5000 }], restart: "unless-stopped" }, root),
                    reg("docker:index/volume:Volume", "mlflow-test-data", { name: "mlflow-test-data" }, root),
                ],
                { url: "http://localhost:5000" },
            );
            const head = planOf(
                [
                    root,
                    reg("docker:index/container:Container", "mlflow-test-server", { name: "mlflow-test-server", ports: [{ internal: 5000, external: 5003 }], restart: "unless-stopped" }, root),
                    reg("aws:s3/bucket:Bucket", "mlflow-test-bucket", { bucket: "mlflow-test-artifacts" }, root),
                ],
                { url: "http://localhost:5003" },
            );
            const d = diffPlans(base, head);
            assert.deepStrictEqual(d.added.map((r) => r.name), ["mlflow-test-bucket"]);
            assert.deepStrictEqual(d.removed.map((r) => r.name), ["mlflow-test-data"]);
            assert.deepStrictEqual(d.changed.map((c) => [c.resource.name, c.changes]), [["mlflow-test-server", [{ path: "ports[0].external", before: 5000, after: 5003 }]]]);
            assert.strictEqual(d.unchanged, 1);
            const text = renderDiff(d);
            assert.match(text, /1 to add, 1 to change, 1 to remove, 1 unchanged/);
            assert.match(text, /^\+ aws:s3:Bucket {2}mlflow-test-bucket {2}bucket=mlflow-test-artifacts$/m);
            assert.match(text, /^- docker:index:Volume {2}mlflow-test-data/m);
            assert.match(text, /^~ docker:index:Container {2}mlflow-test-server\n~ {5}ports\[0\]\.external: 5000 => 5003$/m);
            assert.match(text, /^~ output url: http:\/\/localhost:5000 => http:\/\/localhost:5003$/m);
        });

        it("a config change of a real stack shows up as changed properties, and no change as none", async () => {
            const base = await planStack("dev");
            const same = diffPlans(base, await planStack("dev"));
            assert.match(renderDiff(same), /no changes/);
            const head = await planStack("dev", undefined, { config: { "mlflow:port": 5003 } });
            const d = diffPlans(base, head);
            assert.ok(d.changed.some((c) => c.changes.some((p) => p.after === 5003)), renderDiff(d));
            assert.strictEqual(d.added.length + d.removed.length, 0);
        });
    });

    describe("CI readiness", () => {
        const base = { stack: "staging", mode: "preview" as const, config: {}, present: {} };

        it("a Docker-only stack needs only the state backend", () => {
            const r = readiness({ ...base, packages: ["docker", "random"], present: { PULUMI_ACCESS_TOKEN: true } });
            assert.strictEqual(r.ready, true, r.notice);
            assert.deepStrictEqual(r.clouds, { aws: false, azure: false, gcp: false });
        });

        it("an AWS stack without its role is skipped with a notice naming what to create", () => {
            const r = readiness({ ...base, packages: ["aws", "random"], config: { "aws:region": "eu-west-1" }, present: { PULUMI_ACCESS_TOKEN: true } });
            assert.strictEqual(r.ready, false);
            assert.strictEqual(r.awsRegion, "eu-west-1");
            assert.match(r.notice, /skipped: not configured\. Create variable AWS_PREVIEW_ROLE_ARN/);
            const deploy = readiness({ ...base, mode: "deploy", packages: ["aws"], present: { PULUMI_ACCESS_TOKEN: true } });
            assert.match(deploy.notice, /variable AWS_ROLE_ARN \(environment staging or repository\)/);
            assert.match(deploy.notice, /variable AWS_REGION/);
        });

        it("a self-managed backend brings its cloud and the passphrase; a KMS provider its cloud", () => {
            const r = readiness({ ...base, packages: ["docker"], backendUrl: "gs://team-state", present: {} });
            assert.deepStrictEqual(r.clouds, { aws: false, azure: false, gcp: true });
            assert.ok(r.missing.includes("secret PULUMI_CONFIG_PASSPHRASE"));
            assert.ok(!r.missing.some((m) => m.includes("PULUMI_ACCESS_TOKEN")));
            const kms = readiness({ ...base, packages: ["docker"], secretsProvider: "azurekeyvault://vault.vault.azure.net/keys/k", present: { PULUMI_ACCESS_TOKEN: true } });
            assert.strictEqual(kms.clouds.azure, true);
            assert.ok(!kms.missing.includes("secret PULUMI_CONFIG_PASSPHRASE"));
        });
    });

    it("parses --flag value and --flag=value", () => {
        assert.deepStrictEqual(parseArgs(["--stack=prod", "--json"]), { command: "plan", stack: "prod", json: true, mode: "preview", positional: [] });
        assert.deepStrictEqual(parseArgs(["diff", "a.json", "b.json"]).positional, ["a.json", "b.json"]);
        assert.throws(() => parseArgs(["--stack"]), /--stack needs a value/);
    });
});

export type { PlanResource };
