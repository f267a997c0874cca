// Who may use the server: mlflow:auth (basic auth on or off), mlflow:users, mlflow:grants,
// mlflow:defaultPermission and mlflow:sso (single sign-on with OpenID Connect), with the
// secrets mlflow:userPasswords and mlflow:ssoClientSecret. Pure.

import { Collector, parseBool, parseTyped, stringListField } from "./collector";
import { configRmCommand, show } from "./problems";
import { AuthSpec, GrantSpec, Permission, PERMISSIONS, SsoSpec, UserSpec } from "./spec";

/** MLflow refuses shorter passwords (mlflow/utils/validation.py _validate_password). */
export const MIN_PASSWORD_LENGTH = 12;
export const DEFAULT_PERMISSION: Permission = "READ";
export const DEFAULT_SSO_SCOPES = ["openid", "email", "profile"];
export const DEFAULT_GROUPS_CLAIM = "groups";
/** mlflow-oidc-auth 11 needs MLflow 3.16 or newer (components/image/requirements-sso.txt). */
export const SSO_MIN_MLFLOW_MINOR = 16;

const USER_NAME = /^[A-Za-z0-9_.@-]{1,64}$/;
const USER_NAME_TEXT = "1 to 64 letters, digits or _ . @ -";
const USER_FIELDS = ["name", "admin", "rotation"];
const GRANT_FIELDS = ["user", "experiment", "permission"];
const SSO_FIELDS = ["issuer", "clientId", "scopes", "groupsClaim", "allowedGroups", "adminGroups"];
const GROUP = /^[^,\s][^,]{0,254}$/;
const CLAIM = /^[A-Za-z0-9_.:/-]{1,128}$/;

export interface AccessInput {
    stack: string;
    raw: Record<string, unknown>;
    adminUsername: string | undefined;
    cacheSeconds: number | undefined;
    /** Which of the access secrets are set, and (for validation only) mlflow:userPasswords. */
    userPasswordsSet: boolean;
    userPasswords?: string;
    ssoClientSecretSet: boolean;
}

/** mlflow:auth, users, grants, default permission and single sign-on, checked together. */
export function parseAccess(c: Collector, input: AccessInput): AuthSpec | undefined {
    const { raw } = input;
    const sso = raw.sso === undefined ? undefined : parseSso(c, raw.sso);
    const enabled = parseBool(c, "auth", raw.auth, input.stack !== "dev" && raw.sso === undefined);
    if (raw.sso !== undefined && enabled === true) {
        c.add("auth", "is true while mlflow:sso is set", "basic auth or single sign-on, not both: with mlflow:sso, set mlflow:auth to false", c.set("auth", "false"));
    }
    if (raw.sso !== undefined && !input.ssoClientSecretSet) {
        c.add("ssoClientSecret", "is not set, but mlflow:sso is", "the client secret the provider issued for mlflow:sso.clientId", c.set("ssoClientSecret", "<client secret>", { secret: true }));
    }
    if (raw.sso === undefined && input.ssoClientSecretSet) {
        c.add("ssoClientSecret", "is set, but mlflow:sso is not", "only with mlflow:sso", configRmCommand(c.stack, "ssoClientSecret"));
    }
    // READ in both modes (MLflow's own default). mlflow-oidc-auth's own is NO_PERMISSIONS, but under it
    // MLflow 3.17's experiments page kept re-rendering for a user who could see no experiment (README).
    const defaultPermission = parsePermission(c, "defaultPermission", raw.defaultPermission ?? DEFAULT_PERMISSION, DEFAULT_PERMISSION);
    const users = parseUsers(c, raw.users, input.adminUsername);
    const grants = parseGrants(c, raw.grants, namesIn(raw.users));
    for (const key of ["users", "grants"] as const) {
        if (raw[key] !== undefined && enabled === false) {
            const why = raw.sso !== undefined ? "with mlflow:sso, accounts come from the provider and permissions from the SSO app's own pages" : "they are basic-auth accounts";
            c.add(key, "is set, but basic auth is off (mlflow:auth false)", `only with mlflow:auth true: ${why}`, configRmCommand(c.stack, key));
        }
    }
    const given = checkUserPasswords(c, input, users);
    for (const user of users ?? []) {
        user.passwordGiven = given.has(user.name);
    }
    if (enabled === undefined || defaultPermission === undefined || users === undefined || grants === undefined || (raw.sso !== undefined && sso === undefined) || input.adminUsername === undefined || input.cacheSeconds === undefined) {
        return undefined;
    }
    return { enabled, adminUsername: input.adminUsername, cacheSeconds: input.cacheSeconds, defaultPermission, users, grants, sso };
}

function parsePermission(c: Collector, key: string, value: unknown, fallback: Permission): Permission | undefined {
    if (typeof value === "string" && (PERMISSIONS as readonly string[]).includes(value)) {
        return value as Permission;
    }
    c.add(key, `got ${show(value)}`, PERMISSIONS.join(" | "), c.set(key, fallback));
    return undefined;
}

/** A list given as a list or as a JSON list. */
function parseJsonList(value: unknown): unknown[] | undefined {
    if (value === undefined) {
        return [];
    }
    if (Array.isArray(value)) {
        return value;
    }
    if (typeof value === "string" && value.trim().startsWith("[")) {
        try {
            const parsed: unknown = JSON.parse(value);
            return Array.isArray(parsed) ? parsed : undefined;
        } catch {
            return undefined;
        }
    }
    return undefined;
}

function parseUsers(c: Collector, value: unknown, adminUsername: string | undefined): UserSpec[] | undefined {
    const list = parseJsonList(value);
    if (!list) {
        c.add("users", `got ${show(value)}`, 'a list of accounts, e.g. [{"name": "alice"}, {"name": "bob", "admin": true}]', c.set("users[0].name", "alice"));
        return undefined;
    }
    const users: UserSpec[] = [];
    let allOk = true;
    for (const [i, item] of list.entries()) {
        const key = `users[${i}]`;
        const obj = typeof item === "string" ? { name: item } : parseTyped(item);
        if (!obj || typeof item === "string" && item.trim().startsWith("{")) {
            c.add(key, `got ${show(item)}`, 'an account: {"name": "alice", "admin": false, "rotation": "1"}', c.set(`${key}.name`, "alice"));
            allOk = false;
            continue;
        }
        let ok = checkItemFields(c, key, obj, USER_FIELDS);
        const name = obj.name;
        const admin = parseBool(c, `${key}.admin`, obj.admin, false);
        const rotation = obj.rotation === undefined ? "" : typeof obj.rotation === "number" ? String(obj.rotation) : obj.rotation;
        if (typeof name !== "string" || !USER_NAME.test(name)) {
            c.add(`${key}.name`, `got ${show(name)}`, USER_NAME_TEXT, c.set(`${key}.name`, "alice"));
            ok = false;
        } else if (name === adminUsername) {
            c.add(`${key}.name`, `is the admin account (${name})`, "another name: mlflow:adminUsername is managed by mlflow:adminPassword", configRmCommand(c.stack, key));
            ok = false;
        } else if (users.some((u) => u.name === name)) {
            c.add(`${key}.name`, `repeats ${show(name)}`, "each account once", configRmCommand(c.stack, key));
            ok = false;
        }
        if (typeof rotation !== "string" || rotation.length > 64) {
            c.add(`${key}.rotation`, `got ${show(obj.rotation)}`, "any short text; change it to generate a new password", c.set(`${key}.rotation`, "2"));
            ok = false;
        }
        if (admin === undefined) {
            ok = false;
        }
        if (ok) {
            users.push({ name: name as string, admin: admin!, rotation: rotation as string, passwordGiven: false });
        }
        allOk = allOk && ok;
    }
    return allOk ? users : undefined;
}

/** Accounts named in mlflow:users, read leniently so a grant is checked even when another account is refused. */
function namesIn(value: unknown): Set<string> {
    const names = (parseJsonList(value) ?? []).map((u) => (typeof u === "string" ? u : parseTyped(u)?.name));
    return new Set(names.filter((n): n is string => typeof n === "string"));
}

function checkItemFields(c: Collector, key: string, obj: Record<string, unknown>, allowed: string[]): boolean {
    const unknown = Object.keys(obj).filter((f) => !allowed.includes(f));
    for (const field of unknown) {
        c.add(`${key}.${field}`, "is not a field", `fields ${allowed.join(", ")}`, configRmCommand(c.stack, `${key}.${field}`));
    }
    return unknown.length === 0;
}

function parseGrants(c: Collector, value: unknown, known: Set<string>): GrantSpec[] | undefined {
    const list = parseJsonList(value);
    if (!list) {
        c.add("grants", `got ${show(value)}`, 'a list of grants, e.g. [{"user": "alice", "experiment": "churn", "permission": "EDIT"}]', c.set("grants[0].user", "alice"));
        return undefined;
    }
    const grants: GrantSpec[] = [];
    let allOk = true;
    for (const [i, item] of list.entries()) {
        const key = `grants[${i}]`;
        const obj = parseTyped(item);
        if (!obj || typeof item === "string") {
            c.add(key, `got ${show(item)}`, '{"user": "alice", "experiment": "churn", "permission": "EDIT"}', c.set(`${key}.user`, "alice"));
            allOk = false;
            continue;
        }
        let ok = checkItemFields(c, key, obj, GRANT_FIELDS);
        const { user, experiment } = obj;
        const permission = parsePermission(c, `${key}.permission`, obj.permission, "READ");
        if (typeof user !== "string" || !known.has(user)) {
            const names = [...known].join(", ") || "none yet";
            c.add(`${key}.user`, `got ${show(user)}`, `an account of mlflow:users (${names})`, c.set(`${key}.user`, [...known][0] ?? "alice"));
            ok = false;
        }
        if (typeof experiment !== "string" || experiment.trim() === "" || experiment.length > 500) {
            c.add(`${key}.experiment`, `got ${show(experiment)}`, "an experiment name (created when missing)", c.set(`${key}.experiment`, "<experiment name>"));
            ok = false;
        }
        if (grants.some((g) => g.user === user && g.experiment === experiment)) {
            c.add(key, `repeats the grant of ${show(experiment)} to ${show(user)}`, "one permission per user and experiment", configRmCommand(c.stack, key));
            ok = false;
        }
        if (ok && permission) {
            grants.push({ user: user as string, experiment: experiment as string, permission });
        }
        allOk = allOk && ok && permission !== undefined;
    }
    return allOk ? grants : undefined;
}

/** mlflow:userPasswords: a JSON object of account name -> password, for accounts of mlflow:users. */
export function parseUserPasswords(value: string): Record<string, unknown> | undefined {
    try {
        const parsed: unknown = JSON.parse(value);
        return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
        return undefined;
    }
}

/** Checks mlflow:userPasswords; returns the accounts it gives a password. */
function checkUserPasswords(c: Collector, input: AccessInput, users: UserSpec[] | undefined): Set<string> {
    if (!input.userPasswordsSet || input.userPasswords === undefined) {
        return new Set();
    }
    const fix = c.set("userPasswords", '{"alice": "<a password of 12 or more characters>"}', { secret: true });
    const passwords = parseUserPasswords(input.userPasswords);
    if (!passwords) {
        // Never shown: it is a secret.
        c.add("userPasswords", "is not a JSON object", 'a JSON object of account name to password, e.g. {"alice": "..."}', fix);
        return new Set();
    }
    for (const [name, password] of Object.entries(passwords)) {
        if (users !== undefined && !users.some((u) => u.name === name)) {
            c.add(`userPasswords.${name}`, "names no account of mlflow:users", `one of: ${users.map((u) => u.name).join(", ") || "(no accounts)"}`, fix);
        } else if (typeof password !== "string" || password.length < MIN_PASSWORD_LENGTH) {
            c.add(`userPasswords.${name}`, `is not a string of ${MIN_PASSWORD_LENGTH} or more characters`, `a password of at least ${MIN_PASSWORD_LENGTH} characters (MLflow refuses shorter ones)`, fix);
        }
    }
    return new Set(Object.keys(passwords));
}

function parseSso(c: Collector, value: unknown): SsoSpec | undefined {
    const obj = parseTyped(value);
    if (!obj || typeof value === "string" && !value.trim().startsWith("{")) {
        c.add("sso", `got ${show(value)}`, `an object with the fields ${SSO_FIELDS.join(", ")}`, c.set("sso.issuer", "https://login.example.com"));
        return undefined;
    }
    checkItemFields(c, "sso", obj, SSO_FIELDS);
    const issuer = parseIssuer(c, obj.issuer);
    const clientId = obj.clientId;
    if (typeof clientId !== "string" || !/^\S{1,255}$/.test(clientId)) {
        c.add("sso.clientId", `got ${show(clientId)}`, "the client (application) id the provider issued", c.set("sso.clientId", "<client id>"));
    }
    const scopes = stringListField(c, "sso", obj, "scopes", /^[\x21-\x7e]{1,128}$/, "OAuth scopes", DEFAULT_SSO_SCOPES);
    if (scopes && !scopes.includes("openid")) {
        c.add("sso.scopes", `got ${show(obj.scopes)}`, 'a list that includes "openid" (OpenID Connect needs it)', c.set("sso.scopes", JSON.stringify(["openid", ...scopes])));
    }
    const groupsClaim = typeof obj.groupsClaim === "string" || obj.groupsClaim === undefined ? (obj.groupsClaim as string | undefined) ?? DEFAULT_GROUPS_CLAIM : undefined;
    if (groupsClaim === undefined || !CLAIM.test(groupsClaim)) {
        c.add("sso.groupsClaim", `got ${show(obj.groupsClaim)}`, "the ID-token claim that lists the user's groups (groups, roles, ...)", c.set("sso.groupsClaim", DEFAULT_GROUPS_CLAIM));
    }
    const groups = (field: "allowedGroups" | "adminGroups", example: string) => {
        const list = stringListField(c, "sso", obj, field, GROUP, "group names (or ids, as the provider puts them in the claim)");
        if (list && list.length === 0) {
            const what = field === "allowedGroups" ? "who may sign in" : "who administers MLflow";
            c.add(`sso.${field}`, "is empty", `at least one group: it decides ${what}`, c.set(`sso.${field}[0]`, example));
            return undefined;
        }
        return list;
    };
    const allowedGroups = groups("allowedGroups", "mlflow-users");
    const adminGroups = groups("adminGroups", "mlflow-admins");
    if (!issuer || typeof clientId !== "string" || !scopes || !scopes.includes("openid") || !groupsClaim || !CLAIM.test(groupsClaim) || !allowedGroups || !adminGroups) {
        return undefined;
    }
    return { issuer, clientId, scopes, groupsClaim, allowedGroups, adminGroups };
}

function parseIssuer(c: Collector, value: unknown): string | undefined {
    let url: URL | undefined;
    try {
        url = typeof value === "string" ? new URL(value) : undefined;
    } catch {
        url = undefined;
    }
    // Plain HTTP only to a provider on this machine (a local test provider).
    const local = url !== undefined && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
    if (!url || !(url.protocol === "https:" || (url.protocol === "http:" && local)) || url.search || url.hash) {
        c.add("sso.issuer", `got ${show(value)}`, "the provider's issuer URL over https, e.g. https://login.microsoftonline.com/<tenant id>/v2.0", c.set("sso.issuer", "https://login.example.com"));
        return undefined;
    }
    return (value as string).replace(/\/+$/, "");
}

/** Whether every request must be signed in (basic auth or single sign-on). */
export function signInRequired(auth: AuthSpec): boolean {
    return auth.enabled || auth.sso !== undefined;
}
