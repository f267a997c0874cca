// Runs commands the way a user does (the Pulumi CLI, npm, docker) and keeps every line they
// printed, so the suite can assert that the output is quiet and holds no secret.
import { spawn } from "child_process";

export interface CommandResult {
    command: string;
    code: number;
    /** stdout and stderr, interleaved as they arrived. */
    output: string;
    seconds: number;
}

export interface RunOptions {
    cwd: string;
    env: NodeJS.ProcessEnv;
    /** Written to the command's standard input (a secret value for `pulumi config set --secret`). */
    input?: string;
    /** The command prints secrets on purpose (`--show-secrets`): keep it out of the secret scan. */
    reveals?: boolean;
    /** Resolve with a non-zero exit code instead of throwing. */
    allowFailure?: boolean;
    timeoutMs?: number;
}

/** Everything printed by the commands the suite ran, except those asked to reveal secrets. */
export const transcript: CommandResult[] = [];

export function run(command: string, args: string[], opts: RunOptions): Promise<CommandResult> {
    const shown = [command, ...args].join(" ");
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ["pipe", "pipe", "pipe"], detached: true });
        let output = "";
        child.stdout.on("data", (chunk) => (output += chunk));
        child.stderr.on("data", (chunk) => (output += chunk));
        const timer = setTimeout(() => {
            output += `\n[e2e] ${shown}: killed after ${opts.timeoutMs} ms\n`;
            try {
                process.kill(-child.pid!, "SIGKILL");
            } catch {
                /* already gone */
            }
        }, opts.timeoutMs ?? 20 * 60 * 1000);
        child.stdin.end(opts.input ?? "");
        child.on("error", (err) => {
            clearTimeout(timer);
            reject(err);
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            const result: CommandResult = { command: shown, code: code ?? (signal ? 128 : 1), output, seconds: (Date.now() - started) / 1000 };
            if (!opts.reveals) {
                transcript.push(result);
            }
            if (process.env.E2E_VERBOSE) {
                process.stderr.write(`\n$ ${shown}  (exit ${result.code}, ${result.seconds.toFixed(1)} s)\n${output}\n`);
            }
            if (result.code !== 0 && !opts.allowFailure) {
                reject(new Error(`${shown} exited with ${result.code} after ${result.seconds.toFixed(1)} s:\n${tail(output, 60)}`));
            } else {
                resolve(result);
            }
        });
    });
}

export function tail(text: string, lines: number): string {
    return text.split("\n").slice(-lines).join("\n");
}

/** The stand-in toolchain's notice that it runs plugins found on $PATH (shared/pulumi-local). */
const KIT_NOTICE = /warning: using pulumi-(resource|language)-[\w-]+ from \$PATH at \S+/g;

/**
 * Lines of a Pulumi command's output that are warnings or errors a user would have to act on.
 * Not counted: the stand-in toolchain's own notice, and the per-resource "N warnings" tallies
 * (each counted warning is printed on a line of its own under Diagnostics, and checked there).
 */
export function noise(output: string): string[] {
    return output
        .split("\n")
        .map((line) => line.replace(KIT_NOTICE, "").replace(/\b\d+ warnings?\b/, "").trim())
        .filter((line) => /\b(warning|error)s?\b/i.test(line) || /Undefined value/.test(line));
}
