// Pure builders for the URIs MLflow is given. Kept apart so that the unit tests and the
// integration tests exercise the very same code the components use.

export interface PostgresConnection {
    user: string;
    password: string;
    host: string;
    port: number;
    database: string;
}

/** `postgresql+psycopg2://user:password@host:port/db` with user and password percent-encoded. */
export function postgresUri(c: PostgresConnection): string {
    // encodeURIComponent leaves ! ' ( ) * unescaped; SQLAlchemy's URL parser accepts them, but
    // escaping them as well keeps the URI unambiguous for every consumer.
    const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
    const host = c.host.includes(":") ? `[${c.host}]` : c.host;
    return `postgresql+psycopg2://${enc(c.user)}:${enc(c.password)}@${host}:${c.port}/${encodeURIComponent(c.database)}`;
}

/**
 * Normalises a user-given PostgreSQL URL: names the psycopg2 driver, and optionally swaps the
 * database (for the auth database on the same server). Query parameters (sslmode...) are kept.
 * The URL is a secret: errors never include it.
 */
export function normalizePostgresUrl(url: string, database?: string): string {
    const m = /^(postgres|postgresql|postgresql\+psycopg2):\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/.exec(url.trim());
    if (!m) {
        throw new Error("mlflow:postgresUrl is not a postgresql://user:password@host:port/database URL (value hidden)");
    }
    const [, , authority, path, query] = m;
    const db = database !== undefined ? `/${encodeURIComponent(database)}` : path ?? "";
    return `postgresql+psycopg2://${authority}${db}${query ?? ""}`;
}

/** SQLite URI for an absolute path: four slashes. */
export function sqliteUri(absolutePath: string): string {
    if (!absolutePath.startsWith("/")) {
        throw new Error(`SQLite path must be absolute, got ${absolutePath}`);
    }
    return `sqlite:///${absolutePath}`;
}
