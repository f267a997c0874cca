// Day-2 operations: mlflow:gc (MLflow's garbage collection on a schedule), mlflow:backup (the
// Docker platform's scheduled backups), mlflow:alerts (the clouds' alarms and where they go) and
// mlflow:restore (a cloud stack's database created from a backup). Pure.

import { Collector, intField, parseSettings, stringField, stringListField } from "./collector";
import { configRmCommand, show } from "./problems";
import type { ArtifactType, BackendType, Platform } from "./spec";

/** Five cron fields (minute hour day-of-month month day-of-week), always in UTC. */
export type Cron = string;

export interface GcSpec {
    schedule: Cron;
    /** `mlflow gc --older-than`: runs deleted at least this long ago are purged (e.g. 30d, 12h). */
    olderThan: string;
}

export interface BackupSpec {
    schedule: Cron;
    /** How many backups the destination keeps; older ones are deleted after each backup. */
    keep: number;
    /** An absolute directory on the Docker host, or an object-store URI of the artifact store's kind. */
    destination: string;
    destinationKind: "directory" | "s3" | "azure-blob" | "gcs";
}

export interface AlertsSpec {
    /** Addresses the program subscribes to a topic / action group / notification channel it creates. */
    email: string[];
    /** An existing SNS topic ARN, action group ID or notification channel name, instead of or beside email. */
    target?: string;
    /** The database's CPU above this, in percent, for 15 minutes. */
    cpuPercent: number;
    /** The database's storage used above this, in percent. */
    storagePercent: number;
    /** More 5xx answers than this in 5 minutes. */
    errors5xx: number;
}

export type RestoreSpec =
    | { type: "snapshot"; snapshot: string }
    | { type: "pointInTime"; source: string; time: string }
    | { type: "backup"; source: string; backupId: string };

export interface OperationsSpec {
    /** Undefined with mlflow:gc false. */
    gc?: GcSpec;
    backup?: BackupSpec;
    alerts?: AlertsSpec;
    restore?: RestoreSpec;
}

export const DEFAULT_GC: GcSpec = { schedule: "0 4 * * *", olderThan: "30d" };
export const DEFAULT_BACKUP_SCHEDULE = "0 3 * * *";
export const DEFAULT_BACKUP_KEEP = 7;
export const DEFAULT_ALERT_THRESHOLDS = { cpuPercent: 80, storagePercent: 85, errors5xx: 10 };

const CRON_TEXT = 'five cron fields in UTC, "minute hour day-of-month month day-of-week" with numbers, *, ranges (a-b), steps (*/n) and lists (a,b), e.g. "0 4 * * *"';
const OLDER_THAN = /^(?=\d)(\d+d)?(\d+h)?(\d+m)?(\d+s)?$/;
const EMAIL = /^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/;
const FIELD_RANGES: Array<[number, number]> = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]];

/** Whether `value` is a five-field cron expression this program (and every cloud's scheduler) reads. */
export function isCron(value: string): boolean {
    const fields = value.trim().split(/\s+/);
    return fields.length === 5 && fields.every((f, i) => isCronField(f, FIELD_RANGES[i]));
}

function isCronField(field: string, [min, max]: [number, number]): boolean {
    return field.split(",").every((part) => {
        const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
        if (!m) return false;
        const inRange = (s?: string) => s === undefined || (Number(s) >= min && Number(s) <= max);
        const stepOk = m[4] === undefined || Number(m[4]) >= 1;
        const ordered = m[3] === undefined || Number(m[2]) <= Number(m[3]);
        return inRange(m[2]) && inRange(m[3]) && stepOk && ordered;
    });
}

/**
 * The same schedule as EventBridge Scheduler writes it: `cron(min hour dom month dow year)`,
 * with `?` in one day field and days of the week counted 1 (Sunday) to 7.
 */
export function toEventBridgeCron(cron: Cron): string {
    const [min, hour, dom, month, dow] = cron.trim().split(/\s+/);
    const awsDow = dow === "*" ? "?" : dow.replace(/\d+/g, (d) => String((Number(d) % 7) + 1));
    const awsDom = dow !== "*" && dom === "*" ? "?" : dom;
    return `cron(${min} ${hour} ${awsDom} ${month} ${awsDow} *)`;
}

function cronField(c: Collector, key: string, obj: Record<string, unknown>, field: string, fallback: Cron): Cron | undefined {
    const v = obj[field] ?? fallback;
    if (typeof v !== "string" || !isCron(v)) {
        c.add(`${key}.${field}`, `got ${show(v)}`, CRON_TEXT, c.set(`${key}.${field}`, fallback));
        return undefined;
    }
    const [, , dom, , dow] = v.trim().split(/\s+/);
    if (dom !== "*" && dow !== "*") {
        c.add(`${key}.${field}`, `got ${show(v)}`, "a day of the month or a day of the week, not both (cron would run on either; EventBridge refuses it)", c.set(`${key}.${field}`, fallback));
        return undefined;
    }
    return v.trim().split(/\s+/).join(" ");
}

export function parseGc(c: Collector, value: unknown): GcSpec | undefined | null {
    if (value === false || value === "false") {
        return null;
    }
    const obj = value === true || value === "true" ? {} : parseSettings(c, "gc", value, ["schedule", "olderThan"]);
    if (!obj) return undefined;
    const schedule = cronField(c, "gc", obj, "schedule", DEFAULT_GC.schedule);
    const olderThan = stringField(c, "gc", obj, "olderThan", OLDER_THAN, "a duration in MLflow's form: days, hours, minutes, seconds, e.g. 30d, 7d12h, 90m", DEFAULT_GC.olderThan);
    return schedule && olderThan ? { schedule, olderThan } : undefined;
}

const DESTINATION_KINDS: Array<[RegExp, BackupSpec["destinationKind"], ArtifactType | undefined]> = [
    [/^\/(?!.*(^|\/)\.\.?(\/|$))[^\s,:]*[^\s,:/]$/, "directory", undefined],
    [/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s]*)?$/, "s3", "s3"],
    [/^wasbs:\/\/[a-z0-9-]{3,63}@[a-z0-9]{3,24}\.blob\.[a-z0-9.]+(\/[^\s]*)?$/, "azure-blob", "azure-blob"],
    [/^gs:\/\/[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](\/[^\s]*)?$/, "gcs", "gcs"],
];

export function parseBackup(c: Collector, value: unknown, platform: Platform | undefined, artifacts: ArtifactType | undefined): BackupSpec | undefined {
    if (platform !== undefined && platform !== "docker") {
        c.add(
            "backup",
            `is set on ${platform}`,
            "only on Docker: the clouds' managed databases back themselves up (the backend's backup retention) and restore with mlflow:restore (README: Operations)",
            configRmCommand(c.stack, "backup"),
        );
        return undefined;
    }
    const obj = parseSettings(c, "backup", value, ["destination", "schedule", "keep"]);
    if (!obj) return undefined;
    const schedule = cronField(c, "backup", obj, "schedule", DEFAULT_BACKUP_SCHEDULE);
    const keep = intField(c, "backup", obj, "keep", 1, 365, DEFAULT_BACKUP_KEEP, "backups kept");
    const destination = typeof obj.destination === "string" ? obj.destination.replace(/\/+$/, "") || obj.destination : obj.destination;
    const match = typeof destination === "string" ? DESTINATION_KINDS.find(([re]) => re.test(destination)) : undefined;
    if (!match) {
        c.add(
            "backup.destination",
            destination === undefined ? "is not set" : `got ${show(destination)}`,
            "an absolute directory on the Docker host (e.g. /srv/backups/mlflow), or s3://bucket/prefix, wasbs://container@account.blob.core.windows.net/prefix, gs://bucket/prefix (the artifact store's kind, reached with its credentials)",
            c.set("backup.destination", "/srv/backups/mlflow"),
        );
        return undefined;
    }
    const [, kind, needsArtifacts] = match;
    if (needsArtifacts && artifacts !== undefined && artifacts !== needsArtifacts) {
        c.add(
            "backup.destination",
            `is a ${kind} URI, but the artifact store is ${artifacts}`,
            `a host directory, or an object store of the artifact store's kind (${artifacts}): the backup job reaches it with the artifact store's credentials`,
            c.set("backup.destination", "/srv/backups/mlflow"),
        );
        return undefined;
    }
    return schedule && keep !== undefined ? { schedule, keep, destination: destination as string, destinationKind: kind } : undefined;
}

const ALERT_TARGETS: Record<Exclude<Platform, "docker">, [RegExp, string]> = {
    aws: [/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, "an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)"],
    azure: [/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/microsoft\.insights\/actionGroups\/[^/]+$/i, "an action group's resource ID (/subscriptions/.../providers/microsoft.insights/actionGroups/<name>)"],
    gcp: [/^projects\/[a-z0-9-]+\/notificationChannels\/\d+$/, "a notification channel's name (projects/<project>/notificationChannels/<id>)"],
};

export function parseAlerts(c: Collector, value: unknown, platform: Platform | undefined): AlertsSpec | undefined {
    if (platform === "docker") {
        c.add(
            "alerts",
            "is set on docker",
            "only on the clouds: on Docker the health checks and restart policy watch the containers (README: Operations shows how to follow them)",
            configRmCommand(c.stack, "alerts"),
        );
        return undefined;
    }
    const obj = parseSettings(c, "alerts", value, ["email", "target", "cpuPercent", "storagePercent", "errors5xx"]);
    if (!obj) return undefined;
    const email = stringListField(c, "alerts", obj, "email", EMAIL, "e-mail addresses");
    const target = platform ? stringField(c, "alerts", obj, "target", ALERT_TARGETS[platform][0], ALERT_TARGETS[platform][1]) : undefined;
    if (email && email.length === 0 && obj.target === undefined) {
        c.add("alerts", "names nobody to tell", "alerts.email (addresses), alerts.target (an existing topic, action group or channel), or both", c.set("alerts.email[0]", "team@example.com"));
    }
    const t = DEFAULT_ALERT_THRESHOLDS;
    const cpuPercent = intField(c, "alerts", obj, "cpuPercent", 1, 100, t.cpuPercent, "percent");
    const storagePercent = intField(c, "alerts", obj, "storagePercent", 1, 99, t.storagePercent, "percent");
    const errors5xx = intField(c, "alerts", obj, "errors5xx", 1, 100000, t.errors5xx, "answers in 5 minutes");
    if (!email || cpuPercent === undefined || storagePercent === undefined || errors5xx === undefined) return undefined;
    return { email, ...(target ? { target } : {}), cpuPercent, storagePercent, errors5xx };
}

const RESTORE_TYPES: Record<Exclude<Platform, "docker">, string[]> = { aws: ["snapshot", "pointInTime"], azure: ["pointInTime"], gcp: ["backup", "pointInTime"] };
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const MANAGED: Record<Exclude<Platform, "docker">, BackendType> = { aws: "rds", azure: "azure-postgres", gcp: "cloudsql" };

export function parseRestore(c: Collector, value: unknown, platform: Platform | undefined, backend: BackendType | undefined, dbPasswordSet = true): RestoreSpec | undefined {
    if (platform === "docker") {
        c.add("restore", "is set on docker", "only on the clouds; on Docker restore a backup with npm run restore (README: Operations)", configRmCommand(c.stack, "restore"));
        return undefined;
    }
    const obj = parseSettings(c, "restore", value, ["type", "snapshot", "source", "time", "backupId"]);
    if (!obj || !platform) return undefined;
    if (backend !== undefined && backend !== MANAGED[platform]) {
        c.add("restore", `is set, but the backend is ${backend}`, `only with the managed database (${MANAGED[platform]})`, configRmCommand(c.stack, "restore"));
        return undefined;
    }
    if (platform === "gcp" && !dbPasswordSet) {
        // A Cloud SQL restore brings the source's users with their passwords; the program creates none.
        c.add("dbPassword", "is not set, but mlflow:restore is", "the source database user's password: the restored instance keeps the source's users", c.set("dbPassword", "<the source stack's database password>", { secret: true }));
    }
    const types = RESTORE_TYPES[platform];
    const type = obj.type;
    if (typeof type !== "string" || !types.includes(type)) {
        c.add("restore.type", `got ${show(type)}`, `on ${platform}: ${types.join(" | ")}`, c.set("restore.type", types[0]));
        return undefined;
    }
    const need = (field: string, pattern: RegExp, allowed: string): string | undefined => {
        if (obj[field] === undefined) {
            c.add(`restore.${field}`, `is not set (restore.type ${type})`, allowed, c.set(`restore.${field}`, "<value>"));
            return undefined;
        }
        return stringField(c, "restore", obj, field, pattern, allowed);
    };
    const unused = Object.keys(obj).filter((f) => f !== "type" && !RESTORE_FIELDS[type].includes(f));
    for (const f of unused) {
        c.add(`restore.${f}`, `is set with restore.type ${type}`, `the fields of ${type}: ${RESTORE_FIELDS[type].join(", ")}`, configRmCommand(c.stack, `restore.${f}`));
    }
    if (unused.length > 0) return undefined;
    if (type === "snapshot") {
        const snapshot = need("snapshot", /^(arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:(cluster-)?snapshot:)?[A-Za-z][A-Za-z0-9-:]{0,254}$/, "the RDS snapshot's identifier or ARN");
        return snapshot ? { type, snapshot } : undefined;
    }
    const source = need("source", SOURCE[platform][0], SOURCE[platform][1]);
    if (type === "backup") {
        const backupId = need("backupId", /^\d{1,20}$/, "the Cloud SQL backup's ID (gcloud sql backups list --instance <source>)");
        return source && backupId ? { type, source, backupId } : undefined;
    }
    const latestOk = platform !== "azure";
    const time = obj.time ?? (latestOk ? "latest" : undefined);
    if (typeof time !== "string" || !(RFC3339_UTC.test(time) || (latestOk && time === "latest"))) {
        c.add("restore.time", time === undefined ? "is not set" : `got ${show(time)}`, `a UTC time such as 2026-11-30T12:00:00Z${latestOk ? ', or "latest" (the newest restorable time)' : " (Azure restores to a given time)"}`, c.set("restore.time", "2026-11-30T12:00:00Z"));
        return undefined;
    }
    return source ? { type: "pointInTime", source, time } : undefined;
}

const RESTORE_FIELDS: Record<string, string[]> = { snapshot: ["snapshot"], pointInTime: ["source", "time"], backup: ["source", "backupId"] };
const SOURCE: Record<Exclude<Platform, "docker">, [RegExp, string]> = {
    aws: [/^[a-z][a-z0-9-]{0,62}$/, "the source RDS instance's identifier"],
    azure: [/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.DBforPostgreSQL\/flexibleServers\/[^/]+$/i, "the source Flexible Server's resource ID"],
    gcp: [/^[a-z][a-z0-9-]{0,97}$/, "the source Cloud SQL instance's name (same project)"],
};

export interface OperationsInput {
    raw: Record<string, unknown>;
    platform: Platform | undefined;
    backend: BackendType | undefined;
    artifacts: ArtifactType | undefined;
    /** Whether mlflow:dbPassword is set (a restore on GCP needs the source's). */
    dbPasswordSet: boolean;
}

/** mlflow:gc (on by default), mlflow:backup, mlflow:alerts, mlflow:restore. */
export function parseOperations(c: Collector, input: OperationsInput): OperationsSpec | undefined {
    const { raw, platform } = input;
    const problems = c.problems.length;
    const gc = parseGc(c, raw.gc);
    const backup = raw.backup === undefined ? undefined : parseBackup(c, raw.backup, platform, input.artifacts);
    const alerts = raw.alerts === undefined ? undefined : parseAlerts(c, raw.alerts, platform);
    const restore = raw.restore === undefined ? undefined : parseRestore(c, raw.restore, platform, input.backend, input.dbPasswordSet);
    if (c.problems.length > problems) return undefined;
    return { ...(gc ? { gc } : {}), ...(backup ? { backup } : {}), ...(alerts ? { alerts } : {}), ...(restore ? { restore } : {}) };
}
