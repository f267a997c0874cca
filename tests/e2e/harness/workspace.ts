// A scratch copy of the project for the suite: its own file state backend, its own passphrase
// (in a file, never on a command line), and stack files the suite writes. The checkout itself
// is never touched: `pulumi stack init` rewrites stack files, and one test edits the image.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { CommandResult, run, RunOptions } from "./cli";

export const ROOT = path.resolve(__dirname, "..", "..", "..");
/** Kept out of the copy; the heavy ones are linked instead. */
const LINKED = ["node_modules", ".tools", ".venv"];
const SKIPPED = new Set([...LINKED, ".git", ".pulumi-state", ".integration-work", ".e2e-work"]);

/** Files of the checkout: tracked and new ones, not ignored ones. */
function projectFiles(): string[] {
    try {
        const out = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: ROOT, encoding: "utf8" });
        return out.split("\0").filter((f) => f && !SKIPPED.has(f.split("/")[0]) && fs.existsSync(path.join(ROOT, f)));
    } catch {
        const walk = (dir: string): string[] =>
            fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
                const rel = dir ? `${dir}/${e.name}` : e.name;
                if (SKIPPED.has(rel)) return [];
                return e.isDirectory() ? walk(rel) : [rel];
            });
        return walk("");
    }
}

export class Workspace {
    /** Everything of this run lives under here (kept after a failure for a look, removed on success). */
    readonly root: string;
    readonly project: string;
    readonly state: string;
    readonly passphraseFile: string;
    /** A short id for stack names, so nothing collides with a developer's own stacks. */
    readonly id: string;

    constructor() {
        this.id = crypto.randomBytes(3).toString("hex");
        this.root = fs.mkdtempSync(path.join(os.tmpdir(), `mlflow-e2e-${this.id}-`));
        this.project = path.join(this.root, "project");
        this.state = path.join(this.root, "state");
        this.passphraseFile = path.join(this.root, "passphrase");
        fs.mkdirSync(this.state);
        fs.writeFileSync(this.passphraseFile, crypto.randomBytes(24).toString("base64url"), { mode: 0o600 });
        for (const file of projectFiles()) {
            const dest = path.join(this.project, file);
            fs.mkdirSync(path.dirname(dest), { recursive: true });
            fs.copyFileSync(path.join(ROOT, file), dest);
            fs.chmodSync(dest, fs.statSync(path.join(ROOT, file)).mode);
        }
        for (const dir of LINKED) {
            if (fs.existsSync(path.join(ROOT, dir))) {
                fs.symlinkSync(path.join(ROOT, dir), path.join(this.project, dir));
            }
        }
    }

    /** The passphrase, read back only to scan for it. */
    passphrase(): string {
        return fs.readFileSync(this.passphraseFile, "utf8");
    }

    env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
        const env: NodeJS.ProcessEnv = { ...process.env };
        delete env.PULUMI_CONFIG_PASSPHRASE;
        delete env.PULUMI_ACCESS_TOKEN;
        return {
            ...env,
            PATH: `${path.join(ROOT, ".tools", "node22", "node_modules", ".bin")}:${process.env.PATH}`,
            PULUMI_BACKEND_URL: `file://${this.state}`,
            PULUMI_CONFIG_PASSPHRASE_FILE: this.passphraseFile,
            ...extra,
        };
    }

    run(command: string, args: string[], opts: Partial<RunOptions> = {}): Promise<CommandResult> {
        return run(command, args, { cwd: this.project, ...opts, env: this.env(opts.env) });
    }

    pulumi(args: string[], opts: Partial<RunOptions> = {}): Promise<CommandResult> {
        return this.run("pulumi", [...args, "--non-interactive"], opts);
    }

    /** Writes Pulumi.<stack>.yaml in the scratch project. */
    writeStackFile(stack: string, config: Record<string, unknown>): void {
        fs.writeFileSync(path.join(this.project, `Pulumi.${stack}.yaml`), yaml.dump({ config }));
    }

    /** Every file of the state backend (stack checkpoints, history, backups), as text. */
    stateFiles(): { file: string; text: string }[] {
        const out: { file: string; text: string }[] = [];
        const walk = (dir: string) => {
            for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
                const p = path.join(dir, e.name);
                if (e.isDirectory()) walk(p);
                else out.push({ file: p, text: fs.readFileSync(p, "utf8") });
            }
        };
        walk(this.state);
        for (const e of fs.readdirSync(this.project)) {
            if (/^Pulumi\..+\.yaml$/.test(e)) out.push({ file: path.join(this.project, e), text: fs.readFileSync(path.join(this.project, e), "utf8") });
        }
        return out;
    }

    remove(): void {
        fs.rmSync(this.root, { recursive: true, force: true });
    }
}
