// One Pulumi stack of the suite, driven through the CLI as a user would.
import * as assert from "assert";
import { CommandResult, noise } from "./cli";
import { Workspace } from "./workspace";

export class TestStack {
    /** Set once the stack exists, so the teardown knows what to destroy. */
    created = false;
    /** The stack's own file state backend and passphrase file. */
    readonly state: string;
    readonly passphraseFile: string;

    constructor(
        readonly ws: Workspace,
        readonly name: string,
    ) {
        ({ state: this.state, passphraseFile: this.passphraseFile } = ws.backendFor(name));
    }

    /** What selects this stack's backend and passphrase for a command. */
    backendEnv(): NodeJS.ProcessEnv {
        return { PULUMI_BACKEND_URL: `file://${this.state}`, PULUMI_CONFIG_PASSPHRASE_FILE: this.passphraseFile };
    }

    /** Writes the stack file and creates the stack in its own backend. */
    async init(config: Record<string, unknown>): Promise<void> {
        this.ws.writeStackFile(this.name, config);
        await this.pulumi(["stack", "init"]);
        this.created = true;
    }

    pulumi(args: string[], opts: { input?: string; reveals?: boolean; allowFailure?: boolean } = {}): Promise<CommandResult> {
        return this.ws.run("pulumi", [...args, "--stack", this.name, "--non-interactive"], { ...opts, env: this.backendEnv() });
    }

    async configSet(key: string, value: string): Promise<void> {
        await this.pulumi(["config", "set", key, value]);
    }

    /** One field of a structured key, e.g. `mlflow:users[0].name`. */
    async configSetPath(key: string, value: string): Promise<void> {
        await this.pulumi(["config", "set", "--path", key, value]);
    }

    async configRm(key: string, opts: { path?: boolean } = {}): Promise<void> {
        await this.pulumi(["config", "rm", ...(opts.path ? ["--path"] : []), key]);
    }

    /** The value goes through standard input, never the command line. */
    async configSetSecret(key: string, value: string): Promise<void> {
        await this.pulumi(["config", "set", "--secret", key], { input: value });
    }

    async up(): Promise<CommandResult> {
        const result = await this.pulumi(["up", "--yes", "--skip-preview"]);
        assertQuiet(result);
        return result;
    }

    /**
     * After an `up`: a preview that expects no changes, then a second `up` that must change
     * nothing. Both print nothing a user would have to act on.
     */
    async assertCleanRerun(): Promise<void> {
        const preview = await this.pulumi(["preview", "--expect-no-changes", "--diff"], { allowFailure: true });
        assert.strictEqual(preview.code, 0, `${this.name}: preview after up shows changes:\n${preview.output}`);
        assertQuiet(preview);
        const again = await this.pulumi(["up", "--yes", "--expect-no-changes"], { allowFailure: true });
        assert.strictEqual(again.code, 0, `${this.name}: a second up changed something:\n${again.output}`);
        assertQuiet(again);
        assert.match(again.output, /Resources:\s+\d+ unchanged\s*\n(?!\s+\d+ (created|updated|deleted|replaced))/, `${this.name}: second up reports changes:\n${again.output}`);
    }

    /** `up`, then the clean re-run checks. */
    async upClean(): Promise<CommandResult> {
        const result = await this.up();
        await this.assertCleanRerun();
        return result;
    }

    async output(name: string): Promise<string> {
        return (await this.pulumi(["stack", "output", name])).output.trim();
    }

    async secretOutput(name: string): Promise<string> {
        return (await this.pulumi(["stack", "output", name, "--show-secrets"], { reveals: true })).output.trim();
    }

    /** The stack's state with secrets decrypted: only to learn which values to scan for. */
    async exportWithSecrets(): Promise<DeploymentExport> {
        const result = await this.pulumi(["stack", "export", "--show-secrets"], { reveals: true });
        return JSON.parse(result.output) as DeploymentExport;
    }

    async resourceCount(): Promise<number> {
        const result = await this.pulumi(["stack", "export"], { reveals: true });
        const state = JSON.parse(result.output) as DeploymentExport;
        return (state.deployment.resources ?? []).length;
    }
}

export interface DeploymentExport {
    deployment: { resources?: { urn: string; type: string; inputs?: unknown; outputs?: unknown; protect?: boolean; retainOnDelete?: boolean }[] };
}

/** No warning or error lines beyond the stand-in toolchain's own notice. */
export function assertQuiet(result: CommandResult): void {
    const lines = noise(result.output);
    assert.deepStrictEqual(lines, [], `${result.command} printed warnings or errors:\n${result.output}`);
}
