// The secret scan: every secret value the stacks hold, looked for in plain text wherever a user
// or an attacker could read it (the state backend, `docker inspect`, what the CLI printed).
import { DeploymentExport } from "./stack";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Strings inside a decrypted secret that are not secrets themselves (upload paths, modes). */
function isSecretLike(s: string): boolean {
    return s.length >= 8 && !/^\/[\w/.-]*$/.test(s) && !/^0[0-7]{3}$/.test(s);
}

function leaves(value: unknown, out: string[]): void {
    if (typeof value === "string") {
        out.push(value);
    } else if (Array.isArray(value)) {
        value.forEach((v) => leaves(v, out));
    } else if (value && typeof value === "object") {
        Object.values(value).forEach((v) => leaves(v, out));
    }
}

/** Every string held inside a secret value of a state exported with --show-secrets. */
export function secretValuesOf(state: DeploymentExport): string[] {
    const found: string[] = [];
    const walk = (value: unknown): void => {
        if (Array.isArray(value)) {
            value.forEach(walk);
        } else if (value && typeof value === "object") {
            const obj = value as Record<string, unknown>;
            if (obj[SECRET_SIG] !== undefined && typeof obj.plaintext === "string") {
                const inner: string[] = [];
                leaves(JSON.parse(obj.plaintext), inner);
                found.push(...inner.filter(isSecretLike));
            } else {
                Object.values(obj).forEach(walk);
            }
        }
    };
    walk(state.deployment.resources ?? []);
    return [...new Set(found)];
}

/** The value and the encoded forms it can take in a URL or a config file. */
export function forms(secret: string): string[] {
    const strict = encodeURIComponent(secret).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
    return [...new Set([secret, encodeURIComponent(secret), strict, strict.toLowerCase() === strict ? strict : strict.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())])];
}

export interface Hit {
    where: string;
    secret: string;
}

/** Where any form of any secret appears in the given texts. Hits name the secret by its length only. */
export function scan(secrets: string[], texts: { where: string; text: string }[]): Hit[] {
    const hits: Hit[] = [];
    for (const secret of secrets) {
        for (const form of forms(secret)) {
            for (const { where, text } of texts) {
                if (text.includes(form)) {
                    hits.push({ where, secret: `<${secret.length}-character secret starting ${JSON.stringify(secret.slice(0, 2))}>` });
                }
            }
        }
    }
    return hits;
}
