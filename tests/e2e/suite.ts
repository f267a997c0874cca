// State shared by the e2e spec files, which run in order (tests/e2e/.mocharc.json): one scratch
// project, the stacks made so far (each with its own backend), and what Docker held before.
import * as fs from "fs";
import * as path from "path";
import { transcript } from "./harness/cli";
import { EngineSnapshot, inspect, named, removeByPrefix, removeImageTags, snapshot } from "./harness/docker";
import { secretValuesOf } from "./harness/secrets";
import { TestStack } from "./harness/stack";
import { Workspace } from "./harness/workspace";

export interface Suite {
    ws: Workspace;
    before: EngineSnapshot;
    stacks: Map<string, TestStack>;
    /** `docker inspect` of every container the suite ran, taken while each existed. */
    inspected: Map<string, string>;
    /** Secret values the suite set itself (on top of those found in the state). */
    secretsSet: string[];
    /** Secret values found in the stacks' decrypted states along the way. */
    secretsFound: Set<string>;
    /** Every Docker object of the run starts with this. */
    prefix: string;
}

let current: Suite | undefined;

export function suite(): Suite {
    if (!current) {
        const ws = new Workspace();
        current = { ws, before: snapshot(), stacks: new Map(), inspected: new Map(), secretsSet: [], secretsFound: new Set(), prefix: `mlflow-e2e${ws.id}-` };
    }
    return current;
}

/** A stack of this run: `e2e<id>-<role>`, so `mlflow-e2e<id>-<role>-...` in Docker. */
export function stackFor(role: string): TestStack {
    const s = suite();
    const name = `e2e${s.ws.id}-${role}`;
    let stack = s.stacks.get(name);
    if (!stack) {
        stack = new TestStack(s.ws, name);
        s.stacks.set(name, stack);
    }
    return stack;
}

/**
 * After each change: `docker inspect` of the run's containers as they are now, and the secret
 * values the stack's state holds (a rotated password lives on only in the state's history).
 */
export async function record(stack: TestStack): Promise<void> {
    const s = suite();
    for (const c of named(s.prefix).containers) {
        s.inspected.set(`${c}@${Date.now()}`, inspect(c));
    }
    for (const value of secretValuesOf(await stack.exportWithSecrets())) {
        s.secretsFound.add(value);
    }
}

/** Destroys whatever stacks are still there and removes anything of the run left in Docker. */
export async function emergencyTeardown(): Promise<void> {
    if (!current) return;
    const s = current;
    for (const stack of s.stacks.values()) {
        if (!stack.created) continue;
        await stack.pulumi(["state", "unprotect", "--all", "--yes"], { allowFailure: true });
        await stack.pulumi(["destroy", "--yes", "--skip-preview"], { allowFailure: true });
        await stack.pulumi(["stack", "rm", "--yes", "--force"], { allowFailure: true });
        stack.created = false;
    }
    removeImageTags(s.prefix);
    const left = removeByPrefix(s.prefix);
    const count = left.containers.length + left.volumes.length + left.networks.length;
    if (count > 0) {
        console.error(`[e2e] removed what the run left in Docker: ${JSON.stringify(left)}`);
    }
}

/** Keeps the transcript and the scratch project for a look after a failure. */
export function keepForInspection(): string {
    const s = suite();
    const file = path.join(s.ws.root, "transcript.log");
    fs.writeFileSync(file, transcript.map((r) => `$ ${r.command}  (exit ${r.code}, ${r.seconds.toFixed(1)} s)\n${r.output}`).join("\n"));
    return s.ws.root;
}
