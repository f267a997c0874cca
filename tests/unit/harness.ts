// Runs the real program (index.ts) under Pulumi mocks with a stack's configuration, and records
// every resource it registers with its inputs exactly as the engine would receive them
// (secrets still wrapped as secrets).
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { mockCall, mockResourceState } from "../../scripts/mocks";
import { loadProgram, settle } from "../../scripts/plan/run";

export const ROOT = path.resolve(__dirname, "..", "..");
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface RegisteredResource {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    /** The resource options that matter for data safety (the mock monitor does not see them). */
    options: { protect?: boolean; retainOnDelete?: boolean; ignoreChanges?: string[]; deleteBeforeReplace?: boolean };
}

/** Options of each registration, keyed `type::name`, captured before the mock monitor sees it. */
const registeredOptions = new Map<string, RegisteredResource["options"]>();
let optionsHooked = false;

function hookResourceOptions(): void {
    if (optionsHooked) {
        return;
    }
    optionsHooked = true;
    // Resource constructors call this module's export at call time, so wrapping it sees every registration.
    const runtimeResource = require("@pulumi/pulumi/runtime/resource") as { registerResource: (...args: unknown[]) => unknown };
    const original = runtimeResource.registerResource;
    runtimeResource.registerResource = (...args: unknown[]) => {
        const [, , type, name, , , , , opts] = args as [unknown, unknown, string, string, unknown, unknown, unknown, unknown, pulumi.CustomResourceOptions | undefined];
        registeredOptions.set(`${type}::${name}`, {
            protect: opts?.protect,
            retainOnDelete: opts?.retainOnDelete,
            ignoreChanges: opts?.ignoreChanges,
            deleteBeforeReplace: opts?.deleteBeforeReplace,
        });
        return original(...args);
    };
}

export interface ProgramRun {
    resources: RegisteredResource[];
    outputs: Record<string, unknown>;
    /** Which outputs are secret. */
    secretOutputs: Set<string>;
    byType(type: string): RegisteredResource[];
    one(type: string): RegisteredResource;
}

/** The `config:` block of Pulumi.<stack>.yaml, as `mlflow:key` -> value (objects kept as objects). */
export function stackFileConfig(stack: string): Record<string, unknown> {
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
    return doc.config ?? {};
}

export function isSecretValue(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** Every string in a value, skipping the parts wrapped as secrets. */
export function plainStrings(v: unknown, out: string[] = []): string[] {
    if (isSecretValue(v)) {
        return out;
    }
    if (typeof v === "string") {
        out.push(v);
    } else if (Array.isArray(v)) {
        v.forEach((x) => plainStrings(x, out));
    } else if (typeof v === "object" && v !== null) {
        Object.values(v).forEach((x) => plainStrings(x, out));
    }
    return out;
}

/** Every string in a value, secret or not. */
export function allStrings(v: unknown, out: string[] = []): string[] {
    if (isSecretValue(v)) {
        return allStrings(v.value, out);
    }
    if (typeof v === "string") {
        out.push(v);
    } else if (Array.isArray(v)) {
        v.forEach((x) => allStrings(x, out));
    } else if (typeof v === "object" && v !== null) {
        Object.values(v).forEach((x) => allStrings(x, out));
    }
    return out;
}

export async function runProgram(stack: string, config: Record<string, unknown>, secretKeys: string[] = []): Promise<ProgramRun> {
    const resources: RegisteredResource[] = [];
    hookResourceOptions();
    registeredOptions.clear();
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                resources.push({ type: args.type, name: args.name, inputs: args.inputs, options: registeredOptions.get(`${args.type}::${args.name}`) ?? {} });
                const state = mockResourceState(args.type, args.name, args.inputs);
                return { id: `${args.name}-id`, state };
            },
            call: (args) => mockCall(args.token, args.inputs),
        },
        "mlflow",
        stack,
        false,
    );
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) {
        flat[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    pulumi.runtime.setAllConfig(flat, secretKeys);

    const { outputs, secretOutputs } = await loadProgram(ROOT);
    await settle(() => resources.length);
    return {
        resources,
        outputs,
        secretOutputs,
        byType: (type) => resources.filter((r) => r.type === type),
        one: (type) => {
            const found = resources.filter((r) => r.type === type);
            if (found.length !== 1) {
                throw new Error(`expected one ${type}, found ${found.length}`);
            }
            return found[0];
        },
    };
}
