// Runs the real program (index.ts) under Pulumi mocks with a stack's configuration and records
// every resource it registers: type, name, URN, parent URN, resource options that matter to a
// reviewer (protect, retainOnDelete), and its inputs exactly as the engine would receive them
// (secrets still wrapped as secrets). Masking and rendering live in render.ts (pure).
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { mockCall, mockResourceState } from "../mocks";

export const ROOT = path.resolve(__dirname, "..", "..");

/** One resource as the program registered it (or read it, for `Resource.get`). */
export interface Registration {
    type: string;
    name: string;
    /** The URN the (mock) engine gave it; undefined only if the registration never completed. */
    urn?: string;
    /** The parent's URN; undefined for resources without a parent. */
    parentUrn?: string;
    /** false for ComponentResources. */
    custom: boolean;
    /** true for `Resource.get(...)` (read, not managed). */
    read: boolean;
    protect: boolean;
    retainOnDelete: boolean;
    inputs: Record<string, unknown>;
}

export interface RawRun {
    project: string;
    stack: string;
    registrations: Registration[];
    /** Stack outputs, resolved. */
    outputs: Record<string, unknown>;
    /** Names of stack outputs that are secret. */
    secretOutputs: Set<string>;
}

export interface RunOptions {
    stack: string;
    /** Full config keys (`mlflow:port`, `aws:region`, ...) to values; objects are passed as JSON. */
    config: Record<string, unknown>;
    /** Config keys whose values are secret. */
    secretKeys?: string[];
    project?: string;
    /** Directory holding index.ts (default: this checkout). */
    root?: string;
}

/** Pulumi.<stack>.yaml as written. */
export interface StackFile {
    config: Record<string, unknown>;
    secretsprovider?: string;
    encryptionsalt?: string;
}

export function readStackFile(stack: string, root: string = ROOT): StackFile {
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        throw new Error(`no stack file ${path.relative(process.cwd(), file) || file}: stacks are ${listStacks(root).join(", ") || "(none)"}`);
    }
    const doc = (yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
    return {
        config: (doc.config as Record<string, unknown> | undefined) ?? {},
        secretsprovider: typeof doc.secretsprovider === "string" ? doc.secretsprovider : undefined,
        encryptionsalt: typeof doc.encryptionsalt === "string" ? doc.encryptionsalt : undefined,
    };
}

export function listStacks(root: string = ROOT): string[] {
    return fs
        .readdirSync(root)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => !!s)
        .sort();
}

/**
 * Placeholders for `secure:` values, which cannot be decrypted offline. The program validates
 * some secrets' shapes, so a placeholder must look like the real thing; one table, by key name.
 */
export const SECRET_PLACEHOLDERS: { pattern: RegExp; value: string }[] = [
    { pattern: /url$/i, value: "postgresql://offline-plan:placeholder@db.offline-plan.invalid:5432/mlflow" },
    { pattern: /json$/i, value: '{"type":"service_account","project_id":"offline-plan"}' },
];
export const DEFAULT_SECRET_PLACEHOLDER = "offline-plan-placeholder";

function isSecure(v: unknown): v is { secure: string } {
    return typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { secure?: unknown }).secure === "string";
}

function placeholderFor(key: string): string {
    return SECRET_PLACEHOLDERS.find((p) => p.pattern.test(key))?.value ?? DEFAULT_SECRET_PLACEHOLDER;
}

/**
 * A stack file's config for running offline: every key passed through (provider keys like
 * `aws:region` too), `secure:` values (top level or nested) replaced by placeholders and their
 * top-level keys listed as secret.
 */
export function offlineConfig(config: Record<string, unknown>): { config: Record<string, unknown>; secretKeys: string[] } {
    const secretKeys = new Set<string>();
    const substitute = (key: string, v: unknown, top: string): unknown => {
        if (isSecure(v)) {
            secretKeys.add(top);
            return placeholderFor(key);
        }
        if (Array.isArray(v)) {
            return v.map((x) => substitute(key, x, top));
        }
        if (typeof v === "object" && v !== null) {
            return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(k, x, top)]));
        }
        return v;
    };
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(config)) {
        out[k] = substitute(k, v, k);
    }
    return { config: out, secretKeys: [...secretKeys].sort() };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Loads `index.ts` afresh (the mocks must be set) and resolves its exports, noting the secret ones. */
export async function loadProgram(root: string = ROOT): Promise<{ outputs: Record<string, unknown>; secretOutputs: Set<string> }> {
    const indexPath = require.resolve(path.join(root, "index.ts"));
    delete require.cache[indexPath];
    const program = require(indexPath) as Record<string, unknown>;
    const outputs: Record<string, unknown> = {};
    const secretOutputs = new Set<string>();
    for (const [k, v] of Object.entries(program)) {
        if (pulumi.Output.isInstance(v)) {
            outputs[k] = await new Promise((resolve) => v.apply((x) => resolve(x)));
            if (await pulumi.isSecret(v)) {
                secretOutputs.add(k);
            }
        } else {
            outputs[k] = v;
        }
    }
    return { outputs, secretOutputs };
}

/** Waits until registrations that depend on resolved outputs stop arriving. */
export async function settle(registered: () => number): Promise<void> {
    let count = -1;
    while (count !== registered()) {
        count = registered();
        for (let i = 0; i < 20; i++) {
            await flush();
        }
    }
}

interface RegisterRequestLike {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom?(): boolean;
    getProtect?(): boolean;
    getRetainondelete?(): boolean;
}

type Callback = (err: unknown, resp?: { getUrn(): string }) => void;

/** Runs the program under mocks and records what it registers. */
export async function runUnderMocks(opts: RunOptions): Promise<RawRun> {
    const project = opts.project ?? "mlflow";
    const root = opts.root ?? ROOT;
    const registrations: Registration[] = [];
    // The mock monitor calls newResource synchronously from inside registerResource/readResource,
    // so the request being handled is known there; it carries the parent and the options.
    let current: { req: RegisterRequestLike; read: boolean } | undefined;
    // Registrations waiting for their URN, by type, name and parent.
    const pendingByKey = new Map<string, Registration>();

    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const req = current && current.req.getType() === args.type && current.req.getName() === args.name ? current : undefined;
                const reg: Registration = {
                    type: args.type,
                    name: args.name,
                    parentUrn: req?.req.getParent() || undefined,
                    custom: args.custom ?? true,
                    read: req?.read ?? args.id !== undefined,
                    protect: req?.req.getProtect?.() ?? false,
                    retainOnDelete: req?.req.getRetainondelete?.() ?? false,
                    inputs: (args.inputs ?? {}) as Record<string, unknown>,
                };
                registrations.push(reg);
                pendingByKey.set(`${args.type}::${args.name}::${reg.parentUrn ?? ""}`, reg);
                const state = mockResourceState(args.type, args.name, args.inputs);
                return { id: `${args.name}-id`, state };
            },
            call: (args) => mockCall(args.token, args.inputs),
        },
        project,
        opts.stack,
        false,
    );
    const monitor = pulumi.runtime.getMonitor() as unknown as Record<string, (req: RegisterRequestLike, cb: Callback) => unknown>;
    for (const method of ["registerResource", "readResource"] as const) {
        const original = monitor[method];
        if (typeof original !== "function") continue;
        monitor[method] = function (this: unknown, req: RegisterRequestLike, cb: Callback) {
            const key = `${req.getType()}::${req.getName()}::${req.getParent() || ""}`;
            current = { req, read: method === "readResource" };
            try {
                return original.call(monitor, req, (err, resp) => {
                    const reg = pendingByKey.get(key);
                    if (reg && resp && typeof resp.getUrn === "function") {
                        reg.urn = resp.getUrn();
                        pendingByKey.delete(key);
                    }
                    cb(err, resp);
                });
            } finally {
                current = undefined;
            }
        };
    }

    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.config)) {
        flat[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    const secretKeys = opts.secretKeys ?? [];
    pulumi.runtime.setAllConfig(flat, secretKeys);

    // As under the CLI: the language host names the encrypted keys, so a secret key stored in
    // plain text in the stack file is refused by the program, as `pulumi preview` would.
    const savedSecretKeys = process.env.PULUMI_CONFIG_SECRET_KEYS;
    process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(secretKeys);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
        const { outputs, secretOutputs } = await loadProgram(root);
        await settle(() => registrations.length);
        if (unhandled.length > 0) {
            throw unhandled[0] instanceof Error ? unhandled[0] : new Error(String(unhandled[0]));
        }
        return { project, stack: opts.stack, registrations, outputs, secretOutputs };
    } finally {
        process.off("unhandledRejection", onUnhandled);
        if (savedSecretKeys === undefined) {
            delete process.env.PULUMI_CONFIG_SECRET_KEYS;
        } else {
            process.env.PULUMI_CONFIG_SECRET_KEYS = savedSecretKeys;
        }
    }
}
