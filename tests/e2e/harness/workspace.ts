// A scratch copy of the project for the suite, and per stack a file state backend and a
// passphrase of its own (in a file, never on a command line). The checkout itself is never
// touched: `pulumi stack init` rewrites stack files, and one test edits the image.
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
    /** A short id for stack names, so nothing collides with a developer's own stacks. */
    readonly id: string;

    constructor() {
        this.id = crypto.randomBytes(3).toString("hex");
        this.root = fs.mkdtempSync(path.join(os.tmpdir(), `mlflow-e2e-${this.id}-`));
        this.project = path.join(this.root, "project");
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

    /** A new file state backend and passphrase file for one stack: { state dir, passphrase file }. */
    backendFor(stack: string): { state: string; passphraseFile: string } {
        const state = path.join(this.root, "state", stack);
        const passphraseFile = path.join(this.root, "passphrases", stack);
        fs.mkdirSync(state, { recursive: true });
        fs.mkdirSync(path.dirname(passphraseFile), { recursive: true });
        fs.writeFileSync(passphraseFile, crypto.randomBytes(24).toString("base64url"), { mode: 0o600 });
        return { state, passphraseFile };
    }

    /** Every passphrase of the run, read back only to scan for them. */
    passphrases(): string[] {
        const dir = path.join(this.root, "passphrases");
        return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), "utf8")) : [];
    }

    /** The environment of a command: Node 22 first, no inherited Pulumi credentials or passphrase. */
    env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
        const env: NodeJS.ProcessEnv = { ...process.env };
        for (const name of ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN"]) {
            delete env[name];
        }
        return { ...env, PATH: `${path.join(ROOT, ".tools", "node22", "node_modules", ".bin")}:${process.env.PATH}`, ...extra };
    }

    run(command: string, args: string[], opts: Partial<RunOptions> = {}): Promise<CommandResult> {
        return run(command, args, { cwd: this.project, ...opts, env: this.env(opts.env) });
    }

    /** Writes Pulumi.<stack>.yaml in the scratch project. */
    writeStackFile(stack: string, config: Record<string, unknown>): void {
        fs.writeFileSync(path.join(this.project, `Pulumi.${stack}.yaml`), yaml.dump({ config }));
    }

    /** Every file of the state backends (checkpoints, history, backups) and stack files, as text. */
    stateFiles(): { file: string; text: string }[] {
        const out: { file: string; text: string }[] = [];
        const walk = (dir: string) => {
            for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
                const p = path.join(dir, e.name);
                if (e.isDirectory()) walk(p);
                else out.push({ file: p, text: fs.readFileSync(p, "utf8") });
            }
        };
        walk(path.join(this.root, "state"));
        for (const e of fs.readdirSync(this.project)) {
            if (/^Pulumi\..+\.yaml$/.test(e)) out.push({ file: path.join(this.project, e), text: fs.readFileSync(path.join(this.project, e), "utf8") });
        }
        return out;
    }

    remove(): void {
        fs.rmSync(this.root, { recursive: true, force: true });
    }
}
