// The pieces every config parser shares: the problem collector and field readers.
// Pure: no resources, no Pulumi runtime.

import { ConfigProblem, configRmCommand, configSetCommand, show } from "./problems";

export class Collector {
    readonly problems: ConfigProblem[] = [];
    readonly warnings: string[] = [];
    constructor(readonly stack: string) {}

    add(key: string, given: string, allowed: string, fix: string): void {
        this.problems.push({ key: `mlflow:${key}`, given, allowed, fix });
    }

    set(key: string, value: string, opts: { secret?: boolean } = {}): string {
        return configSetCommand(this.stack, key, value, opts);
    }
}

export function parseInteger(value: unknown): number | undefined {
    if (typeof value === "number" && Number.isInteger(value)) {
        return value;
    }
    if (typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) {
        return Number.parseInt(value, 10);
    }
    return undefined;
}

export function parseBool(c: Collector, key: string, value: unknown, fallback: boolean): boolean | undefined {
    if (value === undefined) {
        return fallback;
    }
    if (value === true || value === "true") {
        return true;
    }
    if (value === false || value === "false") {
        return false;
    }
    c.add(key, `got ${show(value)}`, "true | false", c.set(key, String(fallback)));
    return undefined;
}

/** An object given as an object, a JSON string, or a bare type name (`postgres`). */
export function parseTyped(value: unknown): Record<string, unknown> | undefined {
    if (typeof value === "string") {
        const s = value.trim();
        if (s.startsWith("{")) {
            try {
                const parsed: unknown = JSON.parse(s);
                return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
            } catch {
                return undefined;
            }
        }
        return { type: s };
    }
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        return value as Record<string, unknown>;
    }
    return undefined;
}

export function checkFields(c: Collector, key: string, obj: Record<string, unknown>, allowed: string[]): void {
    for (const field of Object.keys(obj)) {
        if (!allowed.includes(field)) {
            const near = closest(field, allowed);
            c.add(
                `${key}.${field}`,
                `is not a field of ${key} type ${show(obj.type)}`,
                `${near ? `did you mean ${near}? ` : ""}fields ${allowed.join(", ")}`,
                configRmCommand(c.stack, `${key}.${field}`),
            );
        }
    }
}

export function stringField(c: Collector, key: string, obj: Record<string, unknown>, field: string, pattern: RegExp, allowed: string, fallback?: string): string | undefined {
    const v = obj[field] ?? fallback;
    if (v === undefined) {
        return undefined;
    }
    if (typeof v !== "string" || !pattern.test(v)) {
        c.add(`${key}.${field}`, `got ${show(v)}`, allowed, c.set(`${key}.${field}`, fallback ?? "<value>"));
        return undefined;
    }
    return v;
}

/** The known key closest to a mistyped one (edit distance at most 3). */
export function closest(word: string, candidates: string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = 4;
    for (const candidate of candidates) {
        const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
        if (d < bestDistance) {
            best = candidate;
            bestDistance = d;
        }
    }
    return best;
}

export function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const tmp = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = tmp;
        }
    }
    return row[b.length];
}

export const PG_IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
export const PG_IDENT_TEXT = "a PostgreSQL identifier: lower-case letters, digits and _, at most 63";

/**
 * An object-valued key such as `mlflow:aws`: an object or a JSON string, with its fields
 * checked against `fields`. Unset gives `{}`, so every field takes its default.
 */
export function parseSettings(c: Collector, key: string, value: unknown, fields: string[]): Record<string, unknown> | undefined {
    if (value === undefined) {
        return {};
    }
    const obj = typeof value === "string" && !value.trim().startsWith("{") ? undefined : parseTyped(value);
    if (!obj) {
        c.add(key, `got ${show(value)}`, `an object with the fields ${fields.join(", ")}`, configSetCommand(c.stack, `${key}.${fields[0]}`, "<value>"));
        return undefined;
    }
    checkFields(c, key, obj, fields);
    return obj;
}

/** An integer field within [min, max], or its fallback when unset. */
export function intField(c: Collector, key: string, obj: Record<string, unknown>, field: string, min: number, max: number, fallback: number, unit = ""): number | undefined {
    const v = obj[field];
    if (v === undefined) {
        return fallback;
    }
    const n = parseInteger(v);
    if (n === undefined || n < min || n > max) {
        // The fix sets an allowed value even where the fallback follows another setting (e.g. aws.minCount from desiredCount).
        c.add(`${key}.${field}`, `got ${show(v)}`, `an integer from ${min} to ${max}${unit ? ` (${unit})` : ""}`, c.set(`${key}.${field}`, String(Math.min(max, Math.max(min, fallback)))));
        return undefined;
    }
    return n;
}

/** A boolean field, or its fallback when unset. */
export function boolField(c: Collector, key: string, obj: Record<string, unknown>, field: string, fallback: boolean): boolean | undefined {
    return parseBool(c, `${key}.${field}`, obj[field], fallback);
}

/** One of a fixed set of strings, or its fallback when unset. */
export function choiceField<T extends string>(c: Collector, key: string, obj: Record<string, unknown>, field: string, choices: readonly T[], fallback: T): T | undefined {
    const v = obj[field] ?? fallback;
    if (typeof v !== "string" || !(choices as readonly string[]).includes(v)) {
        c.add(`${key}.${field}`, `got ${show(v)}`, choices.join(" | "), c.set(`${key}.${field}`, fallback));
        return undefined;
    }
    return v as T;
}

/** A list of strings, each matching `pattern` (a list, a JSON list or a comma-separated string). */
export function stringListField(c: Collector, key: string, obj: Record<string, unknown>, field: string, pattern: RegExp, allowed: string, fallback: string[] = []): string[] | undefined {
    let v = obj[field];
    if (v === undefined) {
        return fallback;
    }
    if (typeof v === "string") {
        const s = v.trim();
        try {
            v = s.startsWith("[") ? (JSON.parse(s) as unknown) : s.split(",").map((x) => x.trim()).filter((x) => x !== "");
        } catch {
            /* reported below */
        }
    }
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || !pattern.test(x))) {
        c.add(`${key}.${field}`, `got ${show(obj[field])}`, `a list of ${allowed}`, c.set(`${key}.${field}[0]`, "<value>"));
        return undefined;
    }
    return v as string[];
}

/** What a platform's settings parser may look at besides its own key. */
export interface PlatformParseContext {
    stack: string;
    /** Provider configuration such as `aws:region`, `gcp:project` (unset keys absent). */
    providerConfig: Readonly<Record<string, string | undefined>>;
    /** True on the prod stack: defaults that protect data and availability. */
    production: boolean;
    /** mlflow:auth as parsed; undefined when it was invalid (then no cross-check). */
    authEnabled?: boolean;
    /** What one server instance uses under load (footprint.ts), and how it runs; undefined when invalid. */
    server?: { footprintMiB: number; running: string };
}
