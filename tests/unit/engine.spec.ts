// What a real Pulumi engine on Docker showed and mocks alone would not (tests/e2e runs the real
// thing): outputs without undefined values, durations in the docker provider's own form, the
// container following the built image, data protection from config.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IMAGE_CONTEXT, imageContextFiles, imageContextHash } from "../../components/contract";
import { dockerStackConfig } from "./fixtures";
import { ProgramRun, runProgram, stackFileConfig } from "./harness";

/** Go's time.Duration.String() of a whole number of seconds: how the provider reads durations back. */
function goDuration(seconds: number): string {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

function seconds(duration: string): number {
    const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration);
    assert.ok(m && duration !== "", `not a duration: ${duration}`);
    return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

describe("facts of the real engine, kept under mocks", function () {
    this.timeout(60000);
    const runs: Record<string, ProgramRun> = {};

    before(async () => {
        for (const stack of ["dev", "staging", "prod"]) {
            runs[stack] = await runProgram(stack, dockerStackConfig(stack));
        }
    });

    it("a stack exports only the outputs it has: no undefined value (the CLI warns about each)", async () => {
        assert.deepStrictEqual(Object.keys(runs.dev.outputs).sort(), ["artifactDestination", "containers", "trackingUri", "trackingUriExport", "url"]);
        assert.deepStrictEqual(Object.keys(runs.staging.outputs).sort(), ["adminPassword", "adminUsername", "artifactDestination", "containers", "trackingUri", "trackingUriExport", "url"]);
        const aws = await runProgram("staging", stackFileConfig("staging"));
        assert.ok(["logs", "artifactStore", "databaseEndpoint"].every((k) => k in aws.outputs), "the clouds export their extra outputs");
        for (const run of [...Object.values(runs), aws]) {
            for (const [k, v] of Object.entries(run.outputs)) {
                assert.notStrictEqual(v, undefined, `output ${k} is undefined`);
            }
        }
    });

    it("every container health-check duration is written as the docker provider reads it back (1m0s, not 60s)", () => {
        for (const run of Object.values(runs)) {
            for (const c of run.byType("docker:index/container:Container")) {
                const hc = c.inputs.healthcheck as Record<string, unknown>;
                for (const key of ["interval", "timeout", "startPeriod"]) {
                    const value = String(hc[key]);
                    assert.strictEqual(value, goDuration(seconds(value)), `${c.name} healthcheck.${key}`);
                }
            }
        }
    });

    it("the server container runs the image the stack built, by its ID, so any rebuild replaces it", () => {
        const run = runs.dev;
        const image = run.one("docker:index/image:Image");
        const server = run.byType("docker:index/container:Container").find((c) => String(c.inputs.name).endsWith("-server"))!;
        assert.match(String(server.inputs.image), /@sha256:0{64}$/, "the mocked repoDigest of the built image");
        assert.ok(String(server.inputs.image).startsWith(String(image.inputs.imageName).replace(/:[^:/]+$/, "")));
    });

    it("the image tag hashes every file of the build context, a new one included", () => {
        assert.deepStrictEqual(imageContextFiles(), ["Dockerfile", "access_config.py", "backup.py", "entrypoint.py", "gcp_keyless_signing/sitecustomize.py", "ops.py", "requirements-sso.txt", "requirements.txt"]);
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), "mlflow-image-"));
        try {
            for (const f of imageContextFiles()) {
                fs.mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
                fs.copyFileSync(path.join(IMAGE_CONTEXT, f), path.join(copy, f));
            }
            assert.strictEqual(imageContextHash(copy), imageContextHash());
            fs.mkdirSync(path.join(copy, "__pycache__"));
            fs.writeFileSync(path.join(copy, "__pycache__", "entrypoint.cpython-311.pyc"), "bytecode");
            assert.strictEqual(imageContextHash(copy), imageContextHash(), "bytecode caches are not part of the image");
            fs.mkdirSync(path.join(copy, "hooks"));
            fs.writeFileSync(path.join(copy, "hooks", "sitecustomize.py"), "# new\n");
            assert.notStrictEqual(imageContextHash(copy), imageContextHash(), "a new file changes the tag");
        } finally {
            fs.rmSync(copy, { recursive: true, force: true });
        }
    });

    it("mlflow:protectData: on by default on prod only, and settable on any stack", async () => {
        const volumeOpts = (run: ProgramRun) => run.byType("docker:index/volume:Volume").map((v) => v.options);
        assert.ok(volumeOpts(runs.prod).every((o) => o.protect === true && o.retainOnDelete === true));
        assert.ok(volumeOpts(runs.staging).every((o) => !o.protect && !o.retainOnDelete));
        const protectedStaging = await runProgram("staging", { ...dockerStackConfig("staging"), "mlflow:protectData": "true" });
        assert.ok(volumeOpts(protectedStaging).length >= 2 && volumeOpts(protectedStaging).every((o) => o.protect === true && o.retainOnDelete === true));
        const unprotectedProd = await runProgram("prod", { ...dockerStackConfig("prod"), "mlflow:protectData": false });
        assert.ok(volumeOpts(unprotectedProd).every((o) => !o.protect));
    });
});
