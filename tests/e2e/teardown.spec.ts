// The end of the suite: data protection on destroy, destroy removes what it created, nothing of
// the run is left in Docker, and no secret was ever written in plain text.
import * as assert from "assert";
import { transcript } from "./harness/cli";
import { added, docker, named, snapshot } from "./harness/docker";
import { forms, scan } from "./harness/secrets";
import { stackFor, suite } from "./suite";

describe("teardown", function () {
    const s = suite();
    const prod = stackFor("prod");
    const prodVolume = () => `mlflow-${prod.name}-data`;
    let prodImage = "";

    it("a stack with data protection: pulumi destroy stops at its preview, names the protected volume and how to release it, deletes nothing", async function () {
        const before = named(`mlflow-${prod.name}-`);
        prodImage = docker(["inspect", "-f", "{{.Image}}", `mlflow-${prod.name}-server`]);
        const result = await prod.pulumi(["destroy", "--yes"], { allowFailure: true });
        assert.notStrictEqual(result.code, 0, "destroy refuses");
        assert.match(result.output, new RegExp(`${prodVolume()}[\\s\\S]*cannot be deleted\\s+because it is protected`), result.output);
        assert.match(result.output, /pulumi state unprotect/, "the output says how to release it");
        assert.deepStrictEqual(named(`mlflow-${prod.name}-`), before, "nothing was deleted");
    });

    it("after `pulumi state unprotect`, destroy removes everything else and keeps the volume with the data (retainOnDelete)", async function () {
        await prod.pulumi(["state", "unprotect", "--all", "--yes"]);
        const result = await prod.pulumi(["destroy", "--yes", "--skip-preview"]);
        assert.match(result.output, /retain/i, `the output says the volume is kept:\n${result.output}`);
        assert.strictEqual(await prod.resourceCount(), 0, "the stack holds nothing any more");
        const left = named(`mlflow-${prod.name}-`);
        assert.deepStrictEqual(left, { containers: [], volumes: [prodVolume()], networks: [] });
        const files = docker(["run", "--rm", "-v", `${prodVolume()}:/mlflow`, "--entrypoint", "ls", prodImage, "/mlflow"]).split("\n");
        assert.ok(files.includes("mlflow.db"), `the volume still holds the database: ${files}`);
    });

    it("dev and staging: destroy removes every container, volume and network they created", async function () {
        for (const role of ["dev", "staging"]) {
            const stack = stackFor(role);
            if (!stack.created) continue;
            await stack.pulumi(["destroy", "--yes", "--skip-preview"]);
            assert.deepStrictEqual(named(`mlflow-${stack.name}-`), { containers: [], volumes: [], networks: [] }, `${role} left nothing`);
        }
    });

    it("every stack removed; nothing of the run is left in Docker", async function () {
        docker(["volume", "rm", prodVolume()]);
        for (const stack of s.stacks.values()) {
            if (stack.created) {
                await stack.pulumi(["stack", "rm", "--yes"]);
                stack.created = false;
            }
        }
        assert.deepStrictEqual(added(s.before, snapshot()), { containers: [], volumes: [], networks: [] });
    });

    it("no secret in plain text: not in the state backend, not in docker inspect, not in anything the CLI printed", function () {
        const secrets = [...s.secretsFound, ...s.secretsSet, ...s.ws.passphrases()];
        console.log(`      ${secrets.length} secret values (${secrets.flatMap(forms).length} forms with their encodings) looked for`);
        assert.ok(s.secretsFound.size >= 5, `the scan knows the generated secrets (admin passwords, Flask keys, database password, URLs): ${s.secretsFound.size}`);
        const texts = [
            ...s.ws.stateFiles().map((f) => ({ where: f.file, text: f.text })),
            ...[...s.inspected].map(([name, text]) => ({ where: `docker inspect ${name}`, text })),
            ...transcript.map((r) => ({ where: `output of ${r.command}`, text: r.output })),
        ];
        assert.ok(texts.length > 20, `the scan covers the state, the containers and the commands: ${texts.length}`);
        assert.deepStrictEqual(scan(secrets, texts), []);
    });
});
