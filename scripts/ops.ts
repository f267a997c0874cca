// Backups of a Docker stack, by hand (the scheduler container takes them on mlflow:backup.schedule):
//
//   npm run backup -- --stack dev                  take one now
//   npm run restore -- --stack dev --list          the backups in the destination, oldest first
//   npm run restore -- --stack dev --from latest   restore the newest (or --from mlflow-backup-<time>)
//
// A restore stops the stack's server (and job-runner) container, restores inside the scheduler
// container (which has the stack's volume, network, secrets and destination), and starts them
// again, waiting until the server is healthy. Run from the project directory, with the stack's
// backend and passphrase as for `pulumi up`.
import { spawnSync, SpawnSyncOptions } from "child_process";

const ENTRYPOINT = "/opt/mlflow-deploy/entrypoint.py";
const HEALTHY_WITHIN_MS = 300000;

export class UsageError extends Error {}

export interface OpsArgs {
    command: "backup" | "restore";
    stack: string;
    from?: string;
    list: boolean;
}

export function parseOpsArgs(argv: string[]): OpsArgs {
    const [command, ...rest] = argv;
    if (command !== "backup" && command !== "restore") throw new UsageError(`unknown command ${command ?? "(none)"}`);
    const args: OpsArgs = { command, stack: "", list: false };
    while (rest.length > 0) {
        const flag = rest.shift() as string;
        const value = (): string => {
            const v = rest.shift();
            if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
            return v;
        };
        if (flag === "--stack" || flag === "-s") args.stack = value();
        else if (flag === "--from") args.from = value();
        else if (flag === "--list") args.list = true;
        else throw new UsageError(`unknown option ${flag}`);
    }
    if (!args.stack) throw new UsageError("--stack is required");
    if (command === "restore" && !args.list && !args.from) throw new UsageError("restore needs --from <backup name | latest>, or --list");
    if (args.from !== undefined && !/^(latest|mlflow-backup-\d{8}T\d{6}Z)$/.test(args.from)) {
        throw new UsageError(`--from ${args.from}: a backup's name (mlflow-backup-<UTC time>, see --list) or latest`);
    }
    if (command === "backup" && (args.from || args.list)) throw new UsageError("backup takes only --stack");
    return args;
}

export interface StackContainers {
    server: string;
    jobs?: string;
    ops?: string;
}

function run(command: string, args: string[], opts: SpawnSyncOptions = {}): { code: number; stdout: string } {
    const done = spawnSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], ...opts });
    if (done.error) throw done.error;
    return { code: done.status ?? 1, stdout: String(done.stdout ?? "") };
}

function stackContainers(stack: string): StackContainers {
    const out = run("pulumi", ["stack", "output", "containers", "--stack", stack, "--non-interactive"]);
    if (out.code !== 0 || !out.stdout.trim()) {
        throw new UsageError(`stack ${stack} has no containers output: backups are for Docker stacks, after a pulumi up`);
    }
    const containers = JSON.parse(out.stdout.trim()) as StackContainers;
    if (!containers.ops) throw new UsageError(`stack ${stack} runs no scheduler container: set mlflow:backup (README: Operations) and pulumi up`);
    return containers;
}

/** The Docker host of the stack (docker:host), for the docker CLI. */
function dockerEnv(stack: string): NodeJS.ProcessEnv {
    const host = run("pulumi", ["config", "get", "docker:host", "--stack", stack], { stdio: ["ignore", "pipe", "ignore"] });
    return host.code === 0 && host.stdout.trim() ? { ...process.env, DOCKER_HOST: host.stdout.trim() } : process.env;
}

function exec(env: NodeJS.ProcessEnv, container: string, args: string[]): number {
    return run("docker", ["exec", container, "python", ENTRYPOINT, ...args], { env, stdio: ["ignore", "inherit", "inherit"] }).code;
}

function docker(env: NodeJS.ProcessEnv, args: string[]): string {
    const out = run("docker", args, { env });
    if (out.code !== 0) throw new Error(`docker ${args.join(" ")} failed (${out.code})`);
    return out.stdout.trim();
}

async function waitHealthy(env: NodeJS.ProcessEnv, container: string): Promise<void> {
    const deadline = Date.now() + HEALTHY_WITHIN_MS;
    let state = "";
    while (Date.now() < deadline) {
        state = docker(env, ["inspect", "--format", "{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}", container]);
        if (state === "healthy") return;
        await new Promise((r) => setTimeout(r, 2000));
    }
    throw new Error(`${container} is ${state}, not healthy, ${HEALTHY_WITHIN_MS / 1000} s after the restore: docker logs ${container}`);
}

export async function main(argv: string[]): Promise<number> {
    const args = parseOpsArgs(argv);
    const containers = stackContainers(args.stack);
    const env = dockerEnv(args.stack);
    const ops = containers.ops as string;
    if (args.command === "backup") return exec(env, ops, ["--backup"]);
    if (args.list) return exec(env, ops, ["--list-backups"]);

    const servers = [containers.server, ...(containers.jobs ? [containers.jobs] : [])];
    console.log(`== stopping ${servers.join(", ")}`);
    docker(env, ["stop", ...servers]);
    let code = 1;
    try {
        console.log(`== restoring ${args.from} in ${ops}`);
        code = exec(env, ops, ["--restore", args.from as string]);
    } finally {
        // Started again whatever happened: a restore that failed before replacing anything leaves the data as it was.
        console.log(`== starting ${servers.join(", ")}`);
        docker(env, ["start", ...servers]);
        await waitHealthy(env, containers.server);
        console.log(`== ${containers.server} is healthy`);
    }
    if (code !== 0) console.error(`!! the restore failed (exit ${code}); its log above says what happened to the data`);
    return code;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error: Error) => {
            console.error(error instanceof UsageError ? `usage error: ${error.message}\n  npm run backup -- --stack <s>\n  npm run restore -- --stack <s> --list | --from <backup | latest>` : `!! ${error.message}`);
            process.exit(error instanceof UsageError ? 2 : 1);
        },
    );
}
