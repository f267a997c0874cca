// Pure: turns what the program registered under mocks into a Plan (secrets masked, paths made
// relative, stable order), and renders a Plan as a tree for people or as JSON for machines.
import { Plan, PLAN_FORMAT, PlanResource, SECRET_MASK } from "./model";
import type { RawRun } from "./run";

// Signatures of the values Pulumi passes through its RPC layer.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";

export function isSecretValue(v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

export interface MaskOptions {
    /** Plain strings that must never be shown (secret config values): replaced by [secret]. */
    secretStrings?: string[];
    /** An absolute checkout path, shown as "." (so plans of two checkouts compare equal). */
    root?: string;
}

/** Every string in a value, secret wrappers included (to learn what must be masked). */
export function stringsIn(v: unknown, out: string[] = []): string[] {
    if (typeof v === "string") {
        out.push(v);
    } else if (Array.isArray(v)) {
        v.forEach((x) => stringsIn(x, out));
    } else if (typeof v === "object" && v !== null) {
        Object.values(v).forEach((x) => stringsIn(x, out));
    }
    return out;
}

/** The strings to scrub for a set of secret values: each (JSON-parsed too) and its URL-encoded form. */
export function secretStringsOf(values: unknown[]): string[] {
    const found = new Set<string>();
    for (const value of values) {
        let parsed: unknown = value;
        if (typeof value === "string") {
            try {
                parsed = JSON.parse(value);
            } catch {
                parsed = value;
            }
        }
        for (const s of [...stringsIn(value), ...stringsIn(parsed)]) {
            // Very short strings (true, 1, ...) would mask half the plan and protect nothing.
            if (s.length >= 4) {
                found.add(s);
                found.add(encodeURIComponent(s));
            }
        }
    }
    return [...found].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
}

function maskString(s: string, opts: MaskOptions): string {
    let out = s;
    for (const secret of opts.secretStrings ?? []) {
        if (out.includes(secret)) {
            out = out.split(secret).join(SECRET_MASK);
        }
    }
    if (opts.root && out.includes(opts.root)) {
        out = out.split(opts.root).join(".");
    }
    return out;
}

/** A JSON-safe copy with secrets masked, keys sorted, undefined dropped. */
export function mask(v: unknown, opts: MaskOptions = {}): unknown {
    if (v === undefined || typeof v === "function") {
        return undefined;
    }
    if (v === null || typeof v === "number" || typeof v === "boolean") {
        return v;
    }
    if (typeof v === "string") {
        return maskString(v, opts);
    }
    if (typeof v === "bigint") {
        return String(v);
    }
    if (isSecretValue(v)) {
        return SECRET_MASK;
    }
    if (Array.isArray(v)) {
        return v.map((x) => {
            const m = mask(x, opts);
            return m === undefined ? null : m;
        });
    }
    const obj = v as Record<string, unknown>;
    if (obj[SIG_KEY] === RESOURCE_SIG) {
        return { $ref: maskString(String(obj.urn ?? ""), opts) };
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(obj).sort()) {
        const m = mask(obj[key], opts);
        if (m !== undefined) {
            out[key] = m;
        }
    }
    return out;
}

/** The last type in a URN's type chain's parent: urn:pulumi:s::p::A$B$C::n -> "B" (C's parent type). */
export function parentTypeFromUrn(urn: string): string | undefined {
    const chain = urn.split("::")[2]?.split("$") ?? [];
    return chain.length >= 2 ? chain[chain.length - 2] : undefined;
}

function compareSiblings(a: PlanResource, b: PlanResource): number {
    return a.name < b.name ? -1 : a.name > b.name ? 1 : a.type < b.type ? -1 : a.type > b.type ? 1 : a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0;
}

/** Resources in tree order: depth first, siblings sorted by name, type, URN. */
export function treeOrder(resources: PlanResource[]): PlanResource[] {
    const byUrn = new Set(resources.map((r) => r.urn));
    const children = new Map<string | null, PlanResource[]>();
    for (const r of resources) {
        const parent = r.parent && byUrn.has(r.parent) ? r.parent : null;
        children.set(parent, [...(children.get(parent) ?? []), r]);
    }
    const out: PlanResource[] = [];
    const visit = (parent: string | null) => {
        for (const r of (children.get(parent) ?? []).sort(compareSiblings)) {
            out.push(r);
            visit(r.urn);
        }
    };
    visit(null);
    return out;
}

export interface ToPlanOptions extends MaskOptions {
    /** The config the program ran with (masked here: secret keys show as [secret]). */
    config: Record<string, unknown>;
    secretKeys: string[];
}

/** Builds the Plan from a run: masks, derives missing URNs and parents, sorts. */
export function toPlan(raw: Pick<RawRun, "project" | "stack" | "registrations" | "outputs" | "secretOutputs">, opts: ToPlanOptions): Plan {
    const prefix = `urn:pulumi:${raw.stack}::${raw.project}::`;
    const resources: PlanResource[] = raw.registrations.map((r) => ({
        urn: r.urn ?? `${prefix}${r.type}::${r.name}`,
        type: r.type,
        name: r.name,
        parent: r.parentUrn ?? null,
        custom: r.custom,
        ...(r.protect ? { protect: true } : {}),
        ...(r.retainOnDelete ? { retainOnDelete: true } : {}),
        ...(r.read ? { read: true } : {}),
        inputs: mask(r.inputs, opts) as Record<string, unknown>,
    }));
    // Without a recorded parent, take it from the URN's type chain: the resource of the parent
    // type whose name is the longest prefix of the child's name (names derive from the parent's).
    for (const r of resources) {
        if (r.parent !== null) continue;
        const parentType = parentTypeFromUrn(r.urn);
        if (!parentType) continue;
        const candidates = resources.filter((p) => p.type === parentType && p !== r);
        const best = candidates
            .filter((p) => r.name.startsWith(p.name))
            .sort((a, b) => b.name.length - a.name.length)[0] ?? (candidates.length === 1 ? candidates[0] : undefined);
        if (best) r.parent = best.urn;
    }
    const secretKeys = new Set(opts.secretKeys);
    const config: Record<string, unknown> = {};
    for (const key of Object.keys(opts.config).sort()) {
        config[key] = secretKeys.has(key) ? SECRET_MASK : mask(opts.config[key], opts);
    }
    const outputs: Record<string, unknown> = {};
    for (const key of Object.keys(raw.outputs).sort()) {
        const m = raw.secretOutputs.has(key) ? SECRET_MASK : mask(raw.outputs[key], opts);
        if (m !== undefined) outputs[key] = m;
    }
    const packages = [...new Set(resources.filter((r) => r.custom).map((r) => r.type.split(":")[0]))].sort();
    return { format: PLAN_FORMAT, project: raw.project, stack: raw.stack, config, packages, resources: treeOrder(resources), outputs };
}

/** Stable JSON: keys are already sorted by mask/toPlan. */
export function renderJson(plan: Plan): string {
    return JSON.stringify(plan, null, 2) + "\n";
}

/**
 * The inputs worth a reviewer's eye, by resource type: one table. Types not listed show the
 * GENERIC_KEYS they have; a type with none of those shows its first few scalar inputs.
 */
export const KEY_PROPERTIES: Record<string, string[]> = {
    "docker:index/container:Container": ["name", "image", "ports", "restart", "volumes"],
    "docker:index/volume:Volume": ["name"],
    "docker:index/network:Network": ["name", "internal"],
    "docker:index/image:Image": ["imageName", "build.platform", "skipPush"],
    "docker:index/remoteImage:RemoteImage": ["name", "keepLocally"],
    "random:index/randomPassword:RandomPassword": ["length", "special"],
    "random:index/randomString:RandomString": ["length", "special", "upper"],
    "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "forceDestroy"],
    "aws:s3/bucketV2:BucketV2": ["bucket", "bucketPrefix", "forceDestroy"],
    "aws:rds/instance:Instance": ["engineVersion", "instanceClass", "multiAz", "storageEncrypted", "publiclyAccessible", "deletionProtection", "backupRetentionPeriod"],
    "aws:ecs/service:Service": ["name", "desiredCount", "launchType"],
    "aws:appautoscaling/target:Target": ["minCapacity", "maxCapacity"],
    "aws:lb/targetGroup:TargetGroup": ["port", "protocol", "healthCheck.path"],
    "aws:ecs/taskDefinition:TaskDefinition": ["family", "cpu", "memory"],
    "aws:lb/loadBalancer:LoadBalancer": ["name", "internal", "loadBalancerType"],
    "aws:lb/listener:Listener": ["port", "protocol"],
    "aws:ec2/securityGroup:SecurityGroup": ["name", "description"],
    "aws:iam/role:Role": ["name", "description"],
    "aws:secretsmanager/secret:Secret": ["name"],
    "aws:cloudwatch/logGroup:LogGroup": ["name", "retentionInDays"],
    "azure-native:app:ContainerApp": ["containerAppName", "location"],
    "azure-native:storage:StorageAccount": ["accountName", "location", "sku", "minimumTlsVersion", "allowBlobPublicAccess"],
    "azure-native:storage:BlobContainer": ["containerName", "publicAccess"],
    "gcp:cloudrun/service:Service": ["name", "location"],
    "gcp:cloudrunv2/service:Service": ["name", "location", "ingress"],
    "gcp:storage/bucket:Bucket": ["name", "location", "uniformBucketLevelAccess", "publicAccessPrevention"],
    "gcp:sql/databaseInstance:DatabaseInstance": ["name", "databaseVersion", "region", "deletionProtection"],
};

/** Fallback for types not in KEY_PROPERTIES: the first of these a resource has. */
export const GENERIC_KEYS = [
    "name",
    "bucket",
    "identifier",
    "accountName",
    "containerName",
    "resourceGroupName",
    "location",
    "region",
    "image",
    "engine",
    "engineVersion",
    "instanceClass",
    "tier",
    "sku",
    "port",
    "ports",
    "protocol",
    "desiredCount",
    "deletionProtection",
];
const MAX_PROPERTIES = 7;
const MAX_FALLBACK = 3;
const MAX_VALUE = 60;

function getPath(obj: Record<string, unknown>, dotted: string): unknown {
    let v: unknown = obj;
    for (const part of dotted.split(".")) {
        if (typeof v !== "object" || v === null) return undefined;
        v = (v as Record<string, unknown>)[part];
    }
    return v;
}

export function formatValue(v: unknown, max = MAX_VALUE): string {
    let s: string;
    if (typeof v === "string") {
        s = v === "" || /[\s"=]/.test(v) ? JSON.stringify(v) : v;
    } else {
        s = JSON.stringify(v) ?? String(v);
    }
    return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The key properties shown for one resource, as [name, value] pairs. */
export function keyProperties(r: PlanResource): [string, unknown][] {
    const listed = KEY_PROPERTIES[r.type];
    const names = listed ?? GENERIC_KEYS;
    let picked: [string, unknown][] = names.map((n) => [n, getPath(r.inputs, n)] as [string, unknown]).filter(([, v]) => v !== undefined);
    if (!listed && picked.length === 0) {
        // Short scalars, not references to other resources (ids, ARNs) nor documents (policies).
        picked = Object.entries(r.inputs).filter(
            ([k, v]) => !/(Id|Ids|Arn|Arns)$/.test(k) && (typeof v === "number" || typeof v === "boolean" || (typeof v === "string" && v.length <= MAX_VALUE)),
        );
        return picked.slice(0, MAX_FALLBACK);
    }
    return picked.slice(0, MAX_PROPERTIES);
}

/** `aws:s3/bucket:Bucket` -> `aws:s3:Bucket`; tokens without a module file stay as they are. */
export function shortType(type: string): string {
    const m = /^([^:]+):([^:/]+)\/[^:]+:([^:]+)$/.exec(type);
    return m ? `${m[1]}:${m[2]}:${m[3]}` : type;
}

export function resourceLine(r: PlanResource): string {
    const flags = [r.protect && "protect", r.retainOnDelete && "retainOnDelete", r.read && "read"].filter(Boolean).map((f) => `[${f}]`);
    const props = keyProperties(r).map(([k, v]) => `${k}=${formatValue(v)}`);
    return [`${shortType(r.type)}  ${r.name}`, ...flags, ...props].join("  ");
}

/** The readable tree. */
export function renderTree(plan: Plan): string {
    const lines: string[] = [];
    const counts = new Map<string, number>();
    for (const r of plan.resources) {
        const key = r.custom ? r.type.split(":")[0] : "component";
        counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const summary = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => `${n} ${k}`).join(", ");
    lines.push(`Offline plan: stack ${plan.stack} (project ${plan.project}): ${plan.resources.length} resources (${summary || "none"})`);
    lines.push(`Program run under Pulumi mocks with Pulumi.${plan.stack}.yaml: no cloud, no state; provider-computed values are stand-ins, secrets show as ${SECRET_MASK}.`);
    lines.push("Each line: type  name  [options]  key properties (all inputs: --json).");
    lines.push("");
    lines.push("Config:");
    for (const [k, v] of Object.entries(plan.config)) {
        lines.push(`  ${k} = ${formatValue(v, 100)}`);
    }
    lines.push("");
    lines.push("Resources:");
    const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
    const childrenOf = new Map<string | null, PlanResource[]>();
    for (const r of plan.resources) {
        const parent = r.parent && byUrn.has(r.parent) ? r.parent : null;
        childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), r]);
    }
    const walk = (parent: string | null, indent: string) => {
        const kids = childrenOf.get(parent) ?? [];
        kids.forEach((r, i) => {
            const last = i === kids.length - 1;
            lines.push(`${indent}${last ? "└─ " : "├─ "}${resourceLine(r)}`);
            walk(r.urn, indent + (last ? "   " : "│  "));
        });
    };
    walk(null, "");
    lines.push("");
    lines.push("Outputs:");
    for (const [k, v] of Object.entries(plan.outputs)) {
        lines.push(`  ${k} = ${formatValue(v, 100)}`);
    }
    return lines.join("\n") + "\n";
}
