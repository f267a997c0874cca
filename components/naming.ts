// Names derived from project + stack that each cloud accepts. Pure.
// Globally unique names (buckets, storage accounts) end in a random suffix that the program
// keeps in its state (random.RandomString), so they are stable across updates.

export const SUFFIX_LENGTH = 8;

/** Lower-case, runs of anything but [a-z0-9] collapsed to one hyphen, trimmed. */
function slug(s: string): string {
    return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
}

function trimTo(s: string, max: number): string {
    return s.slice(0, max).replace(/-+$/, "");
}

function checkSuffix(suffix: string): void {
    if (!/^[a-z0-9]+$/.test(suffix)) {
        throw new Error(`name suffix must be lower-case letters and digits, got ${JSON.stringify(suffix)}`);
    }
}

/** `mlflow-dev-<what>` for resources whose names are scoped to one account or Docker host. */
export function resourceName(namePrefix: string, what: string): string {
    return `${slug(namePrefix)}-${slug(what)}`;
}

/**
 * S3: 3-63 characters of a-z 0-9 . -, starting and ending with a letter or digit, not an IP
 * address, not starting with `xn--` or `sthree-`, not ending with `-s3alias` or `--ol-s3`.
 * No dots either: they break virtual-hosted TLS.
 */
export function s3BucketName(project: string, stack: string, suffix: string): string {
    checkSuffix(suffix);
    let base = slug(`${project}-${stack}-artifacts`).replace(/^(xn--|sthree-)/, "");
    base = trimTo(base, 63 - suffix.length - 1);
    return `${base}-${suffix}`;
}

/** Azure storage account: 3-24 characters, lower-case letters and digits only, globally unique. */
export function storageAccountName(project: string, stack: string, suffix: string): string {
    checkSuffix(suffix);
    const base = `${project}${stack}`.toLowerCase().replace(/[^a-z0-9]/g, "");
    return `${base.slice(0, 24 - suffix.length)}${suffix}`;
}

/** Azure blob container: 3-63 characters, a-z 0-9 and single hyphens, starting with a letter or digit. */
export function blobContainerName(name: string): string {
    const s = trimTo(slug(name).replace(/-{2,}/g, "-"), 63);
    if (s.length < 3) {
        throw new Error(`container name ${JSON.stringify(name)} is too short`);
    }
    return s;
}

/**
 * GCS: 3-63 characters of a-z 0-9 - _ ., starting and ending with a letter or digit, not
 * starting with `goog` and not containing `google` (or close misspellings), globally unique.
 */
export function gcsBucketName(project: string, stack: string, suffix: string): string {
    checkSuffix(suffix);
    let base = slug(`${project}-${stack}-artifacts`).replace(/g[o0]{2}g(le)?/g, "gg");
    base = trimTo(base, 63 - suffix.length - 1);
    return `${base}-${suffix}`;
}

/** Docker container, volume and network names: [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
export function dockerName(namePrefix: string, what: string): string {
    return resourceName(namePrefix, what);
}

/**
 * GCP resource ids (Cloud Run services, Cloud SQL instances, networks, Artifact Registry
 * repositories, secrets): lower-case letters, digits and hyphens, starting with a letter,
 * not ending with a hyphen, at most `max` characters (Cloud Run services allow 49).
 */
export function gcpName(namePrefix: string, what: string, max = 49): string {
    let s = slug(`${namePrefix}-${what}`);
    if (!/^[a-z]/.test(s)) {
        s = `m-${s}`;
    }
    return trimTo(s, max);
}

/** Service account ids: 6-30 characters of a-z 0-9 -, starting with a letter, not ending with -. */
export function gcpServiceAccountId(namePrefix: string, what: string): string {
    const s = gcpName(namePrefix, what, 30);
    return s.length >= 6 ? s : `${s}-sa`.padEnd(6, "0");
}

/** Azure names that must be globally unique or follow a service's own rules. */
function alnum(s: string): string {
    return s.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Azure Container Registry: 5-50 letters and digits, globally unique (`<name>.azurecr.io`). */
export function containerRegistryName(project: string, stack: string, suffix: string): string {
    checkSuffix(suffix);
    const base = `${alnum(project + stack)}acr`;
    const name = `${base.slice(0, 50 - suffix.length)}${suffix}`;
    return /^[a-z]/.test(name) ? name : `r${name.slice(0, 49)}`;
}

/** Key Vault: 3-24 letters, digits and single hyphens, starting with a letter, globally unique. */
export function keyVaultName(project: string, stack: string, suffix: string): string {
    checkSuffix(suffix);
    let base = trimTo(slug(`${project}-${stack}`).replace(/-{2,}/g, "-"), 24 - suffix.length - 1);
    if (!/^[a-z]/.test(base)) {
        base = trimTo(`kv${base}`, 24 - suffix.length - 1);
    }
    return `${base}-${suffix}`;
}

/** PostgreSQL Flexible Server: 3-63 lower-case letters, digits and hyphens, globally unique (DNS). */
export function postgresServerName(namePrefix: string, suffix: string): string {
    checkSuffix(suffix);
    return `${trimTo(slug(`${namePrefix}-pg`), 63 - suffix.length - 1)}-${suffix}`;
}

/**
 * A second name of the stack beside `other` (the server's), from the same naming rule: when the
 * length limit cuts `-<what>` off (a long project or stack name), the prefix is shortened instead,
 * so the two never get the same name. Short prefixes get exactly `name(namePrefix, what)`.
 */
export function distinctName(name: (namePrefix: string, what: string) => string, namePrefix: string, what: string, other: string): string {
    const tail = `-${slug(what)}`;
    let prefix = slug(namePrefix);
    let s = name(prefix, what);
    while ((!s.endsWith(tail) || s === other) && prefix.length > 1) {
        prefix = trimTo(prefix, prefix.length - 1);
        s = name(prefix, what);
    }
    if (s === other) {
        throw new Error(`no name for ${what} beside ${other}`);
    }
    return s;
}

/**
 * Container App: 2-32 lower-case letters, digits and single hyphens, starting with a letter,
 * ending with a letter or digit. It is the first label of the app's FQDN.
 */
export function containerAppName(namePrefix: string, what: string): string {
    let s = trimTo(slug(`${namePrefix}-${what}`).replace(/-{2,}/g, "-"), 32);
    if (!/^[a-z]/.test(s)) {
        s = trimTo(`app-${s}`, 32);
    }
    return s;
}
