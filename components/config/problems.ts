import * as pulumi from "@pulumi/pulumi";

/** One thing wrong with the stack configuration, and how to fix it. */
export interface ConfigProblem {
    /** The config key, e.g. `mlflow:backend.type`. */
    key: string;
    /** What was given, as shown to the user (secrets are never shown). */
    given: string;
    /** What is allowed instead. */
    allowed: string;
    /** The exact command that fixes it. */
    fix: string;
}

export function formatProblem(p: ConfigProblem): string {
    return `${p.key}: ${p.given}. Allowed: ${p.allowed}.\n    Fix: ${p.fix}`;
}

/**
 * Thrown before any resource is registered when the stack configuration is invalid.
 * It is a RunError so that Pulumi prints the message alone, without a stack trace.
 */
export class ConfigError extends pulumi.RunError {
    constructor(
        readonly stack: string,
        readonly problems: ConfigProblem[],
    ) {
        super(
            `Invalid configuration for stack '${stack}' (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${formatProblem(p)}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** Quotes a value for a POSIX shell when it needs it. */
export function shellQuote(value: string): string {
    if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) {
        return value;
    }
    return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** Builds the `pulumi config set` command that sets `key` (without the `mlflow:` prefix). */
export function configSetCommand(
    stack: string,
    key: string,
    value: string,
    opts: { secret?: boolean; path?: boolean } = {},
): string {
    const flags = [opts.secret ? "--secret" : "", opts.path || key.includes(".") || key.includes("[") ? "--path" : ""]
        .filter((f) => f)
        .join(" ");
    return `pulumi config set ${flags ? flags + " " : ""}${shellQuote(`mlflow:${key}`)} ${shellQuote(value)} --stack ${stack}`;
}

export function configRmCommand(stack: string, key: string): string {
    const path = key.includes(".") || key.includes("[") ? "--path " : "";
    return `pulumi config rm ${path}${shellQuote(`mlflow:${key}`)} --stack ${stack}`;
}

/** Shows a user-given value in a message: JSON for anything but plain strings. */
export function show(value: unknown): string {
    if (typeof value === "string") {
        return JSON.stringify(value);
    }
    if (value === undefined) {
        return "nothing";
    }
    return JSON.stringify(value);
}
