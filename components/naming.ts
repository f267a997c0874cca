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
