// Pure: the difference between two offline plans of one stack (base branch vs pull request):
// resources added, removed and changed (with the changed properties), and changed outputs.
import { Plan, PlanResource } from "./model";
import { formatValue, resourceLine, shortType } from "./render";

export interface PropertyChange {
    /** Path inside the inputs, e.g. `ports[0].external`, or `(protect)` for an option. */
    path: string;
    before: unknown;
    after: unknown;
}

export interface ResourceChange {
    resource: PlanResource;
    changes: PropertyChange[];
}

export interface PlanDiff {
    stack: string;
    added: PlanResource[];
    removed: PlanResource[];
    changed: ResourceChange[];
    unchanged: number;
    outputs: PropertyChange[];
}

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Leaf-level differences between two JSON values. */
export function valueChanges(before: unknown, after: unknown, path = ""): PropertyChange[] {
    if (isObject(before) && isObject(after)) {
        const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
        return keys.flatMap((k) => valueChanges(before[k], after[k], path ? `${path}.${k}` : k));
    }
    if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
        return before.flatMap((x, i) => valueChanges(x, after[i], `${path}[${i}]`));
    }
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path: path || "(value)", before, after }];
}

const OPTIONS = ["protect", "retainOnDelete", "read", "custom"] as const;

export function diffPlans(base: Plan, head: Plan): PlanDiff {
    const baseBy = new Map(base.resources.map((r) => [r.urn, r]));
    const headBy = new Map(head.resources.map((r) => [r.urn, r]));
    const added = head.resources.filter((r) => !baseBy.has(r.urn));
    const removed = base.resources.filter((r) => !headBy.has(r.urn));
    const changed: ResourceChange[] = [];
    let unchanged = 0;
    for (const r of head.resources) {
        const before = baseBy.get(r.urn);
        if (!before) continue;
        const changes = [
            ...OPTIONS.flatMap((o) => ((before[o] ?? false) === (r[o] ?? false) ? [] : [{ path: `(${o})`, before: before[o] ?? false, after: r[o] ?? false }])),
            ...valueChanges(before.inputs, r.inputs),
        ];
        if (changes.length > 0) {
            changed.push({ resource: r, changes });
        } else {
            unchanged++;
        }
    }
    return { stack: head.stack, added, removed, changed, unchanged, outputs: valueChanges(base.outputs, head.outputs) };
}

export function hasChanges(d: PlanDiff): boolean {
    return d.added.length + d.removed.length + d.changed.length + d.outputs.length > 0;
}

export function diffSummary(d: PlanDiff): string {
    return `${d.added.length} to add, ${d.changed.length} to change, ${d.removed.length} to remove, ${d.unchanged} unchanged`;
}

function show(v: unknown): string {
    return v === undefined ? "(unset)" : formatValue(v, 80);
}

/** Text in `diff` style: `+` added, `-` removed, `~` changed with one line per property. */
export function renderDiff(d: PlanDiff): string {
    const lines = [`Offline plan diff for stack ${d.stack}: ${diffSummary(d)}${d.outputs.length ? `, ${d.outputs.length} output(s) changed` : ""}`];
    if (!hasChanges(d)) {
        lines.push("  no changes");
    }
    for (const r of d.added) lines.push(`+ ${resourceLine(r)}`);
    for (const r of d.removed) lines.push(`- ${resourceLine(r)}`);
    for (const c of d.changed) {
        lines.push(`~ ${shortType(c.resource.type)}  ${c.resource.name}`);
        for (const p of c.changes) lines.push(`~     ${p.path}: ${show(p.before)} => ${show(p.after)}`);
    }
    for (const p of d.outputs) {
        lines.push(`~ output ${p.path}: ${show(p.before)} => ${show(p.after)}`);
    }
    return lines.join("\n") + "\n";
}
