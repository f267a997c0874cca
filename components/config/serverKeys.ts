// The keys that shape the `mlflow server` command and its surroundings: hosts, origins, the
// public host, extra arguments and environment, the image. Pure.

import { Collector } from "./collector";
import { OWNED_ENV, OWNED_FLAGS, REFUSED_FLAGS } from "./owned";
import { configRmCommand, show } from "./problems";

/** A list given as a real list, a JSON list, or a comma-separated string. */
function parseList(value: unknown, commaSeparated: boolean): unknown[] | undefined {
    if (value === undefined || value === "") {
        return [];
    }
    if (Array.isArray(value)) {
        return value;
    }
    if (typeof value === "string") {
        const s = value.trim();
        if (s.startsWith("[")) {
            try {
                const parsed: unknown = JSON.parse(s);
                return Array.isArray(parsed) ? parsed : undefined;
            } catch {
                return undefined;
            }
        }
        if (commaSeparated) {
            return s.split(",").map((x) => x.trim()).filter((x) => x !== "");
        }
    }
    return undefined;
}

const HOST_PATTERN = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:(\d{1,5}|\*))?$/;

export function parseHosts(c: Collector, value: unknown): string[] | undefined {
    const list = parseList(value, true);
    const example = "mlflow.example.com";
    if (!list) {
        c.add("allowedHosts", `got ${show(value)}`, "a list of host names, e.g. [\"mlflow.example.com\"]", c.set("allowedHosts[0]", example));
        return undefined;
    }
    const hosts: string[] = [];
    for (const [i, h] of list.entries()) {
        if (h === "*") {
            c.add(
                `allowedHosts[${i}]`,
                "\"*\" turns off MLflow's Host-header check (DNS-rebinding protection)",
                "host names or patterns such as mlflow.example.com, *.example.com, 10.0.0.5:5000",
                c.set(`allowedHosts[${i}]`, example),
            );
        } else if (typeof h !== "string" || !HOST_PATTERN.test(h)) {
            c.add(`allowedHosts[${i}]`, `got ${show(h)}`, "a host name, optionally with :port or :*, e.g. mlflow.example.com", c.set(`allowedHosts[${i}]`, example));
        } else {
            hosts.push(h);
        }
    }
    return hosts;
}

export function parseOrigins(c: Collector, value: unknown): string[] | undefined {
    const list = parseList(value, true);
    const example = "https://mlflow.example.com";
    if (!list) {
        c.add("corsAllowedOrigins", `got ${show(value)}`, "a list of origins, e.g. [\"https://mlflow.example.com\"]", c.set("corsAllowedOrigins[0]", example));
        return undefined;
    }
    const origins: string[] = [];
    for (const [i, o] of list.entries()) {
        if (typeof o !== "string" || !/^https?:\/\/[A-Za-z0-9.*-]+(:\d{1,5})?$/.test(o)) {
            c.add(
                `corsAllowedOrigins[${i}]`,
                o === "*" ? "\"*\" lets any web site write to MLflow with a user's credentials" : `got ${show(o)}`,
                "an origin: scheme://host[:port] without a path, e.g. https://mlflow.example.com",
                c.set(`corsAllowedOrigins[${i}]`, example),
            );
        } else {
            origins.push(o);
        }
    }
    return origins;
}

/** The host part of a Docker host URL: ssh://user@vm -> vm, tcp://1.2.3.4:2376 -> 1.2.3.4. */
export function hostOfDockerUrl(dockerHost: string | undefined): string | undefined {
    if (!dockerHost || dockerHost.startsWith("unix:") || dockerHost.startsWith("npipe:")) {
        return undefined;
    }
    try {
        const url = new URL(dockerHost);
        return url.hostname.replace(/^\[|\]$/g, "") || undefined;
    } catch {
        return undefined;
    }
}

export function parsePublicHost(c: Collector, value: unknown, dockerHost: string | undefined): string | undefined {
    const v = value ?? hostOfDockerUrl(dockerHost) ?? "localhost";
    if (typeof v !== "string" || v.includes(":") || !HOST_PATTERN.test(v) || v.includes("*")) {
        c.add("publicHost", `got ${show(v)}`, "the host name or IP address users reach the server by, without port", c.set("publicHost", "localhost"));
        return undefined;
    }
    return v;
}

function flagName(token: string): string {
    const eq = token.indexOf("=");
    return eq === -1 ? token : token.slice(0, eq);
}

export function parseExtraArgs(c: Collector, value: unknown): string[] | undefined {
    const list = parseList(value, false);
    const example = "[\"--static-prefix\", \"/mlflow\"]";
    if (!list) {
        c.add("extraArgs", `got ${show(value)}`, `a list of mlflow server arguments, e.g. ${example}`, c.set("extraArgs", example));
        return undefined;
    }
    const args: string[] = [];
    let expectValue = false;
    let ok = true;
    for (const [i, arg] of list.entries()) {
        const key = `extraArgs[${i}]`;
        if (typeof arg !== "string" || arg === "") {
            c.add(key, `got ${show(arg)}`, "a non-empty string", configRmCommand(c.stack, key));
            ok = false;
            continue;
        }
        if (arg.startsWith("--")) {
            const name = flagName(arg);
            if (OWNED_FLAGS[name]) {
                c.add(key, `${show(arg)} is set by the program`, `flags other than ${Object.keys(OWNED_FLAGS).join(", ")}; ${OWNED_FLAGS[name]}`, configRmCommand(c.stack, key));
                ok = false;
            } else if (REFUSED_FLAGS[name]) {
                c.add(key, `${show(arg)} is refused`, REFUSED_FLAGS[name], configRmCommand(c.stack, key));
                ok = false;
            } else if (!/^--[a-z0-9][a-z0-9-]*$/.test(name)) {
                c.add(key, `${show(arg)} is not a well-formed flag`, "--long-flag, --long-flag=value, or --long-flag followed by its value", configRmCommand(c.stack, key));
                ok = false;
            }
            expectValue = !arg.includes("=");
        } else if (arg.startsWith("-") && !expectValue) {
            c.add(key, `short flag ${show(arg)}`, "long flags only (--port, not -p), so the program can tell which flags you set", configRmCommand(c.stack, key));
            ok = false;
        } else if (!expectValue) {
            c.add(key, `${show(arg)} is a value without a flag before it`, "each value right after its --flag", configRmCommand(c.stack, key));
            ok = false;
        } else {
            expectValue = false;
        }
        args.push(arg);
    }
    return ok ? args : undefined;
}

export function parseExtraEnv(c: Collector, value: unknown): Record<string, string> | undefined {
    let v: unknown = value ?? {};
    if (typeof v === "string") {
        try {
            v = JSON.parse(v) as unknown;
        } catch {
            /* reported below */
        }
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
        c.add("extraEnv", `got ${show(value)}`, "a map of variable names to values, e.g. {\"MLFLOW_LOGGING_LEVEL\": \"INFO\"}", c.set("extraEnv.MLFLOW_LOGGING_LEVEL", "INFO"));
        return undefined;
    }
    const env: Record<string, string> = {};
    for (const [name, val] of Object.entries(v as Record<string, unknown>)) {
        const key = `extraEnv.${name}`;
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
            c.add(key, `${show(name)} is not a valid variable name`, "letters, digits and _, not starting with a digit", configRmCommand(c.stack, key));
        } else if (OWNED_ENV[name]) {
            c.add(key, `${name} is set by the program`, OWNED_ENV[name], configRmCommand(c.stack, key));
        } else if (typeof val === "string" || typeof val === "number" || typeof val === "boolean") {
            env[name] = String(val);
        } else {
            c.add(key, `got ${show(val)}`, "a string, number or boolean", c.set(key, "<value>"));
        }
    }
    return env;
}

export function parseImage(c: Collector, value: unknown): string | undefined {
    if (value === undefined || value === "") {
        return undefined;
    }
    if (typeof value !== "string" || !/^[a-z0-9][a-z0-9._\-/:@]*$/.test(value) || value.endsWith(":latest") || !/[:@]/.test(value.split("/").pop()!)) {
        c.add(
            "image",
            `got ${show(value)}`,
            "a pinned image reference with a tag or digest other than latest, e.g. registry.example.com/mlflow:3.17.2-1",
            configRmCommand(c.stack, "image"),
        );
        return undefined;
    }
    return value;
}
