// Offline plan: runs the program under Pulumi mocks with a stack's config and prints the
// resources it would register, as a tree (default) or JSON; diffs two plans; and tells CI whether
// a stack's real preview/deploy is configured.
//
//   npm run plan -- --stack prod                 tree
//   npm run plan -- --stack prod --json          JSON (--out FILE to write it)
//   npm run plan -- --stack prod --diff base.json   this checkout's plan against a saved one
//   npm run plan:diff -- base.json head.json     two saved plans
//   ts-node scripts/plan/cli.ts readiness --stack prod --plan prod.json --mode preview   (CI)
import * as fs from "fs";
import * as path from "path";
import { diffPlans, renderDiff } from "./diff";
import { Plan, PLAN_FORMAT } from "./model";
import { readiness, SETTINGS, Mode } from "./readiness";
import { renderJson, renderTree, secretStringsOf, toPlan } from "./render";
import { listStacks, offlineConfig, readStackFile, ROOT, runUnderMocks } from "./run";

class UsageError extends Error {}

const USAGE = `usage:
  npm run plan -- --stack <name> [--json] [--out <file>] [--diff <base-plan.json>]
  npm run plan:diff -- <base-plan.json> <head-plan.json>
  ts-node scripts/plan/cli.ts readiness --stack <name> --plan <plan.json> [--mode preview|deploy]`;

interface Args {
    command: "plan" | "diff" | "readiness";
    stack?: string;
    json: boolean;
    out?: string;
    diff?: string;
    plan?: string;
    mode: Mode;
    positional: string[];
}

export function parseArgs(argv: string[]): Args {
    const args: Args = { command: "plan", json: false, mode: "preview", positional: [] };
    const rest = [...argv];
    if (rest[0] === "plan" || rest[0] === "diff" || rest[0] === "readiness") {
        args.command = rest.shift() as Args["command"];
    }
    const value = (flag: string): string => {
        const v = rest.shift();
        if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
        return v;
    };
    while (rest.length > 0) {
        const a = rest.shift() as string;
        const eq = a.indexOf("=");
        if (a.startsWith("--") && eq > 0) {
            rest.unshift(a.slice(eq + 1));
        }
        const flag = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
        switch (flag) {
            case "--stack":
            case "-s":
                args.stack = value(flag);
                break;
            case "--json":
                args.json = true;
                break;
            case "--out":
                args.out = value(flag);
                break;
            case "--diff":
                args.diff = value(flag);
                break;
            case "--plan":
                args.plan = value(flag);
                break;
            case "--mode": {
                const m = value(flag);
                if (m !== "preview" && m !== "deploy") throw new UsageError(`--mode is preview or deploy, got ${m}`);
                args.mode = m;
                break;
            }
            case "--help":
            case "-h":
                throw new UsageError("");
            default:
                if (flag.startsWith("-")) throw new UsageError(`unknown option ${flag}`);
                args.positional.push(flag);
        }
    }
    return args;
}

/** Runs a stack's program offline and returns its masked plan. */
export async function planStack(stack: string, root: string = ROOT, extra?: { config?: Record<string, unknown>; secretKeys?: string[] }): Promise<Plan> {
    const file = readStackFile(stack, root);
    const offline = offlineConfig({ ...file.config, ...(extra?.config ?? {}) });
    const secretKeys = [...new Set([...offline.secretKeys, ...(extra?.secretKeys ?? [])])].sort();
    const raw = await runUnderMocks({ stack, config: offline.config, secretKeys, root });
    return toPlan(raw, {
        config: offline.config,
        secretKeys,
        secretStrings: secretStringsOf(secretKeys.map((k) => offline.config[k])),
        root,
    });
}

export function readPlan(file: string): Plan {
    let parsed: unknown;
    try {
        parsed = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new UsageError(`cannot read plan ${file}: ${(e as Error).message}`);
    }
    if ((parsed as Plan)?.format !== PLAN_FORMAT) {
        throw new UsageError(`${file} is not an offline plan (${PLAN_FORMAT})`);
    }
    return parsed as Plan;
}

function emptyPlan(like: Plan): Plan {
    return { ...like, config: {}, packages: [], resources: [], outputs: {} };
}

function write(text: string, out?: string) {
    if (out) {
        fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
        fs.writeFileSync(out, text);
    } else {
        process.stdout.write(text);
    }
}

/** The base plan, or an empty one with a note when the base has none (e.g. it predates the tool). */
function basePlanFor(file: string, head: Plan): { plan: Plan; note?: string } {
    if (!fs.existsSync(file) || fs.statSync(file).size === 0) {
        return { plan: emptyPlan(head), note: `(no base plan at ${file}: every resource is shown as added)\n` };
    }
    return { plan: readPlan(file) };
}

async function main(argv: string[]): Promise<number> {
    const args = parseArgs(argv);
    if (args.command === "diff") {
        if (args.positional.length !== 2) throw new UsageError("plan:diff takes <base-plan.json> <head-plan.json>");
        const head = readPlan(args.positional[1]);
        const base = basePlanFor(args.positional[0], head);
        write((base.note ?? "") + renderDiff(diffPlans(base.plan, head)), args.out);
        return 0;
    }
    if (!args.stack || !listStacks().includes(args.stack)) {
        throw new UsageError(`${args.stack ? `no stack file Pulumi.${args.stack}.yaml` : "--stack is required"} (stacks: ${listStacks().join(", ")})`);
    }
    if (args.command === "readiness") {
        if (!args.plan) throw new UsageError("readiness needs --plan <plan.json>");
        const plan = readPlan(args.plan);
        const file = readStackFile(args.stack);
        const present = Object.fromEntries(SETTINGS.map((s) => [s, (process.env[s] ?? "").trim() !== ""]));
        const r = readiness({
            stack: args.stack,
            mode: args.mode,
            packages: plan.packages,
            config: plan.config,
            secretsProvider: file.secretsprovider,
            encryptionSalt: file.encryptionsalt,
            backendUrl: process.env.PULUMI_BACKEND_URL,
            present,
        });
        const lines = [
            `ready=${r.ready}`,
            `aws=${r.clouds.aws}`,
            `azure=${r.clouds.azure}`,
            `gcp=${r.clouds.gcp}`,
            `aws-region=${r.awsRegion ?? ""}`,
            `notice=${r.notice.replace(/[\r\n]+/g, " ")}`,
        ];
        const target = process.env.GITHUB_OUTPUT;
        if (target) fs.appendFileSync(target, lines.join("\n") + "\n");
        process.stdout.write(lines.join("\n") + "\n");
        return 0;
    }
    // Keep stdout for the plan itself: anything the program logs goes to stderr.
    const log = console.log;
    console.log = (...a: unknown[]) => console.error(...a);
    let plan: Plan;
    try {
        plan = await planStack(args.stack);
    } finally {
        console.log = log;
    }
    if (args.diff) {
        const base = basePlanFor(args.diff, plan);
        write((base.note ?? "") + renderDiff(diffPlans(base.plan, plan)), args.out);
    } else {
        write(args.json ? renderJson(plan) : renderTree(plan), args.out);
    }
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
        },
        (err: unknown) => {
            if (err instanceof UsageError) {
                if (err.message) console.error(`plan: ${err.message}`);
                console.error(USAGE);
                process.exit(2);
            }
            // Config errors carry the program's own message (key, value, allowed, fix).
            const message = err instanceof Error ? err.message : String(err);
            console.error(`plan: the program failed for this stack:\n${message}`);
            process.exit(1);
        },
    );
}
