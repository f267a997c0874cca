#!/usr/bin/env python3
"""Start `mlflow server` as the deployment's server contract describes.

The image runs this script with the contract's arguments (the `mlflow server` flags). Before it
hands over to MLflow it:

- loads secrets given as files: every file in $MLFLOW_SECRETS_DIR becomes the environment
  variable of its name (Docker passes secrets this way, so they never appear in the container's
  configuration);
- writes the basic-auth app's ini file from $MLFLOW_AUTH_DATABASE_URI (MLflow reads the auth
  database URI from that file only);
- turns $MLFLOW_GCP_CREDENTIALS_JSON into a private key file for GOOGLE_APPLICATION_CREDENTIALS;
- creates the directory of a SQLite database;
- brings the tracking database's schema to the installed MLflow's (see prepare_tracking_schema):
  an empty database gets MLflow's schema, one written by an older MLflow is upgraded once
  (`mlflow db upgrade`), a current one is left alone, and one written by a newer MLflow stops
  the start with a clear message. On PostgreSQL this runs under a session-level advisory lock
  on a fixed key, so replicas starting together upgrade it exactly once and the others wait;
- creates the auth database if missing and migrates its schema under the same lock;
- makes the admin password match the configured one when the admin user already exists
  (MLflow itself only uses it when it first creates the user);
- reconciles the accounts and grants of mlflow:users and mlflow:grants (access_config.py);
- with single sign-on: creates the mlflow-oidc-auth database if missing and migrates it under
  the same lock.

A failure in any of these steps exits non-zero with one clear message (never the database URI
or a password) instead of starting a server that cannot serve.

`entrypoint.py --healthcheck PORT` exits 0 when the server answers on /health.
`entrypoint.py --gc | --backup | --restore NAME | --list-backups | --scheduler | --ops-health`
runs a scheduled job instead of the server (ops.py, backup.py).
`entrypoint.py --prepare-only` does every step above and exits without starting the server (a
one-off upgrade task before a rollout, or a check).
"""

import contextlib
import json
import os
import pathlib
import re
import sys
import tempfile
import time
import traceback
import urllib.parse
import urllib.request

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# The key of the PostgreSQL advisory lock under which the databases are prepared: "mlflowdb" in
# ASCII. Advisory locks are per database, so deployments sharing a server never block each other.
SCHEMA_LOCK_KEY = int.from_bytes(b"mlflowdb", "big")

# Set by the contract on the web replicas of mlflow:jobRunner "dedicated" (see submit_jobs_only).
SUBMIT_ONLY_ENV = "MLFLOW_DEPLOY_SUBMIT_JOBS_ONLY"
# The scheduled jobs' commands (ops.py COMMANDS), read here without importing MLflow.
OPS_COMMANDS = ("--gc", "--backup", "--restore", "--list-backups", "--scheduler")
# Seconds the basic-auth app caches a successful password check (its ini's auth_cache_ttl_seconds).
AUTH_CACHE_ENV = "MLFLOW_AUTH_CACHE_TTL_SECONDS"


class PrepareError(Exception):
    """A step before the server start failed; the message says what and what to do."""


def log(message: str) -> None:
    print(f"[mlflow-deploy] {message}", file=sys.stderr, flush=True)


def load_secret_files(env: dict) -> None:
    directory = env.get("MLFLOW_SECRETS_DIR")
    if not directory:
        return
    for item in sorted(pathlib.Path(directory).iterdir()):
        if item.is_file() and ENV_NAME.match(item.name):
            env[item.name] = item.read_text()
    log(f"loaded secrets from {directory}")


def write_private(directory: str, name: str, content: str) -> str:
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(content)
    return path


def ensure_sqlite_directory(uri: str) -> None:
    if uri.startswith("sqlite:////"):
        pathlib.Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)


def configure_auth(env: dict, workdir: str) -> None:
    database_uri = env.pop("MLFLOW_AUTH_DATABASE_URI", None)
    if database_uri is None:
        return
    ensure_sqlite_directory(database_uri)
    ensure_postgres_database(database_uri, env.get("MLFLOW_BACKEND_STORE_URI", ""))
    # configparser interpolates '%': a percent-encoded password must be written as '%%'.
    ini = "\n".join([
        "[mlflow]",
        f"default_permission = {env.get('MLFLOW_AUTH_DEFAULT_PERMISSION') or 'READ'}",
        f"database_uri = {database_uri.replace('%', '%%')}",
        f"admin_username = {env.get('MLFLOW_AUTH_ADMIN_USERNAME', 'admin')}",
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth",
        f"auth_cache_ttl_seconds = {int(env.get(AUTH_CACHE_ENV) or 0)}",
        "",
    ])
    env["MLFLOW_AUTH_CONFIG_PATH"] = write_private(workdir, "basic_auth.ini", ini)
    prepare_auth_database(database_uri, env)


def ensure_postgres_database(database_uri: str, via_uri: str, purpose: str = "the basic-auth app") -> None:
    """Creates an auth database beside the tracking one when it does not exist yet."""
    if not database_uri.startswith("postgresql") or not via_uri.startswith("postgresql"):
        return
    import sqlalchemy

    target = sqlalchemy.engine.make_url(database_uri)
    engine = sqlalchemy.create_engine(via_uri, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).scalar()
            if not exists:
                quoted = connection.dialect.identifier_preparer.quote(target.database)
                try:
                    connection.execute(sqlalchemy.text(f"CREATE DATABASE {quoted}"))
                    log(f"created database {target.database} for {purpose}")
                except sqlalchemy.exc.DBAPIError as error:
                    # Another replica starting at the same moment may have created it first.
                    if "already exists" not in str(error):
                        raise
    finally:
        engine.dispose()


def log_auth_schema(database_uri: str) -> None:
    """Says what the auth app's migration (run by init_db) is about to do. Logging only."""
    try:
        import sqlalchemy
        from alembic.migration import MigrationContext
        from alembic.script import ScriptDirectory
        from mlflow.server.auth.db import utils as auth_db_utils

        head = ScriptDirectory.from_config(auth_db_utils._get_alembic_config("")).get_current_head()
        engine = sqlalchemy.create_engine(database_uri, poolclass=sqlalchemy.pool.NullPool)
        try:
            with engine.connect() as connection:
                if "users" not in sqlalchemy.inspect(connection).get_table_names():
                    log(f"auth database: empty, creating its schema (revision {head})")
                    return
                current = MigrationContext.configure(connection, opts={"version_table": "alembic_version_auth"}).get_current_revision()
        finally:
            engine.dispose()
    except Exception:  # noqa: BLE001 - the migration itself reports real problems
        return
    if current == head:
        log(f"auth database: schema current (revision {head})")
    else:
        log(f"auth database: schema at {current}, upgrading to {head}")


def prepare_auth_database(database_uri: str, env: dict) -> None:
    """Migrates the auth database (MLflow's init_db), syncs the admin password, reconciles the
    accounts and grants of the stack config."""
    from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore

    import access_config

    log_auth_schema(database_uri)
    store = SqlAlchemyStore()
    store.init_db(database_uri)
    try:
        password = env.get("MLFLOW_AUTH_ADMIN_PASSWORD")
        if password:
            sync_admin_password(store, env.get("MLFLOW_AUTH_ADMIN_USERNAME", "admin"), password)
        access_config.reconcile(store, env, env.get("MLFLOW_BACKEND_STORE_URI", ""))
    finally:
        store.engine.dispose()


def prepare_oidc_database(env: dict) -> None:
    """Single sign-on: creates mlflow-oidc-auth's database beside the tracking one and brings
    it to the plugin's schema (the plugin would migrate it at its first request otherwise,
    every replica at once)."""
    database_uri = env.get("OIDC_USERS_DB_URI")
    if not database_uri:
        return
    import sqlalchemy

    ensure_sqlite_directory(database_uri)
    ensure_postgres_database(database_uri, env.get("MLFLOW_BACKEND_STORE_URI", ""), "single sign-on")
    from mlflow_oidc_auth.db import utils as oidc_db_utils

    engine = sqlalchemy.create_engine(database_uri, poolclass=sqlalchemy.pool.NullPool)
    try:
        oidc_db_utils.migrate_if_needed(engine, "head")
        log("single sign-on database: schema current")
    finally:
        engine.dispose()


def sync_admin_password(store, username: str, password: str) -> None:
    try:
        # Read from the primary database (keyword since MLflow 3.7; older ones have no replica).
        exists = store.has_user(username, use_primary=True)
        matches = exists and store.authenticate_user(username, password, use_primary=True)
    except TypeError:
        exists = store.has_user(username)
        matches = exists and store.authenticate_user(username, password)
    if exists and not matches:
        store.update_user(username, password=password)
        log(f"admin user '{username}': password changed to the configured one")


def is_database_uri(uri: str) -> bool:
    return uri.startswith(("sqlite:", "postgresql"))


def describe_database(uri: str) -> str:
    """Names a database for the log without its URI (which carries the password)."""
    import sqlalchemy

    url = sqlalchemy.engine.make_url(uri)
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database}"
    return f"{url.get_backend_name()} database '{url.database}'"


def secret_strings(env: dict) -> list:
    """The values a message must never show: the database URIs, their passwords, the admin's."""
    values = []
    for name in ("MLFLOW_BACKEND_STORE_URI", "MLFLOW_AUTH_DATABASE_URI", "OIDC_USERS_DB_URI"):
        uri = env.get(name)
        if not uri:
            continue
        values.append(uri)
        with contextlib.suppress(Exception):
            import sqlalchemy

            password = sqlalchemy.engine.make_url(uri).password
            if password:
                values += [password, urllib.parse.quote(password, safe=""), urllib.parse.quote_plus(password)]
    for name in ("MLFLOW_AUTH_ADMIN_PASSWORD", "OIDC_CLIENT_SECRET", "SECRET_KEY", "MLFLOW_FLASK_SERVER_SECRET_KEY"):
        if env.get(name):
            values.append(env[name])
    with contextlib.suppress(Exception):
        values += [u["password"] for u in json.loads(env.get("MLFLOW_AUTH_USERS") or "[]")]
    # Longest first, so a URI is hidden whole before its password is.
    return sorted({v for v in values if len(v) >= 3}, key=len, reverse=True)


def redact(text: str, secrets: list) -> str:
    for value in secrets:
        text = text.replace(value, "***")
    return text


@contextlib.contextmanager
def schema_lock(engine, label: str):
    """On PostgreSQL: holds pg_advisory_lock(SCHEMA_LOCK_KEY) on its own session until the block
    ends. PostgreSQL releases it by itself if this process dies, so a crash never leaves it held."""
    if engine.dialect.name != "postgresql":
        yield
        return
    import sqlalchemy

    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        key = {"key": SCHEMA_LOCK_KEY}
        if not connection.execute(sqlalchemy.text("SELECT pg_try_advisory_lock(:key)"), key).scalar():
            log(f"{label}: another server holds the schema lock; waiting for it")
            started = time.monotonic()
            connection.execute(sqlalchemy.text("SELECT pg_advisory_lock(:key)"), key)
            log(f"{label}: got the schema lock after waiting {time.monotonic() - started:.1f} s")
        try:
            yield
        finally:
            # Closing the session below releases the lock too, should the unlock itself fail.
            with contextlib.suppress(Exception):
                connection.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:key)"), key)
    finally:
        connection.close()


def prepare_tracking_schema(engine, label: str) -> None:
    """Brings the tracking database to the installed MLflow's schema head, the way
    `mlflow db upgrade` does, and says what it did. Runs under schema_lock."""
    import mlflow
    import sqlalchemy
    from alembic.script import ScriptDirectory
    from mlflow.store.db import utils as db_utils

    version = mlflow.__version__
    head = db_utils._get_latest_schema_revision()
    started = time.monotonic()
    tables = [t for t in sqlalchemy.inspect(engine).get_table_names() if not t.startswith("alembic_")]
    if not tables:
        # What `mlflow server` would do on its first start, but here under the lock: replicas
        # starting together on a fresh database would otherwise all create the tables at once.
        log(f"{label}: empty, creating MLflow {version}'s schema (revision {head})")
        try:
            db_utils._initialize_tables(engine)
        except Exception as error:
            raise PrepareError(f"{label}: creating the schema failed: {type(error).__name__}: {error}") from error
        log(f"{label}: schema created at {head} in {time.monotonic() - started:.1f} s")
        return

    current = db_utils._get_schema_version(engine)
    if current == head:
        log(f"{label}: schema current (revision {head}, MLflow {version})")
        return
    if current is not None:
        try:
            ScriptDirectory.from_config(db_utils._get_alembic_config("")).get_revision(current)
            known = True
        except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown id
            known = False
        if not known:
            raise PrepareError(
                f"{label}: schema at revision {current}, which MLflow {version} does not know "
                f"(its newest is {head}): a newer MLflow has upgraded this database. MLflow cannot "
                "downgrade a schema; set mlflow:mlflowVersion back to the version that upgraded it, "
                "or restore the backup taken before the upgrade."
            )

    log(f"{label}: schema at {current}, upgrading to {head} (MLflow {version})")
    try:
        db_utils._upgrade_db(engine)
    except Exception as error:
        after = "unknown"
        with contextlib.suppress(Exception):
            after = db_utils._get_schema_version(engine)
        raise PrepareError(
            f"{label}: schema upgrade from {current} to {head} (MLflow {version}) failed: "
            f"{type(error).__name__}: {error}\nThe database is at revision {after}; the server was "
            "not started. Fix the cause (or restore a backup) and start again, or set "
            "mlflow:mlflowVersion back to the version that wrote it."
        ) from error
    after = db_utils._get_schema_version(engine)
    if after != head:
        raise PrepareError(f"{label}: after the upgrade the schema is at {after}, not {head}")
    log(f"{label}: schema upgraded to {head} in {time.monotonic() - started:.1f} s")


def prepare_databases(env: dict, workdir: str) -> None:
    """The tracking schema, then the auth database, both under the schema lock on PostgreSQL."""
    backend_uri = env.get("MLFLOW_BACKEND_STORE_URI", "")
    ensure_sqlite_directory(backend_uri)
    if not is_database_uri(backend_uri):
        configure_auth(env, workdir)
        prepare_oidc_database(env)
        return
    from mlflow.store.db.utils import create_sqlalchemy_engine_with_retry

    label = "tracking " + describe_database(backend_uri)
    engine = create_sqlalchemy_engine_with_retry(backend_uri)
    try:
        with schema_lock(engine, label):
            prepare_tracking_schema(engine, label)
            # Several replicas migrating a fresh auth database at once race as well.
            configure_auth(env, workdir)
            prepare_oidc_database(env)
    finally:
        engine.dispose()


def configure_gcp(env: dict, workdir: str) -> None:
    credentials = env.pop("MLFLOW_GCP_CREDENTIALS_JSON", None)
    if credentials:
        env["GOOGLE_APPLICATION_CREDENTIALS"] = write_private(workdir, "gcp-credentials.json", credentials)


def healthcheck(port: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
            return 0 if response.status == 200 else 1
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1


def load_environment() -> tuple:
    """The process environment with the secret files loaded, the values never to show, and a
    private work directory. The environment itself, not a copy: MLflow runs in this process
    (serve) and some of its modules read their settings when first imported."""
    env = os.environ
    load_secret_files(env)
    workdir = tempfile.mkdtemp(prefix="mlflow-deploy-")
    os.chmod(workdir, 0o700)
    return env, secret_strings(env), workdir


def main(argv: list) -> int:
    if argv[:1] == ["--healthcheck"]:
        return healthcheck(argv[1] if len(argv) > 1 else "5000")
    if argv[:1] == ["--ops-health"]:
        import ops

        return ops.health()
    if argv[:1] and argv[0].startswith("--") and argv[0] in OPS_COMMANDS:
        return run_ops(argv)
    prepare_only = argv[:1] == ["--prepare-only"]

    env, secrets, workdir = load_environment()
    try:
        configure_gcp(env, workdir)
        prepare_databases(env, workdir)
    except PrepareError as error:
        log("FAILED: " + redact(str(error), secrets))
        return 1
    except Exception:  # noqa: BLE001 - one clear, redacted message instead of a restart loop
        log("FAILED while preparing the databases, the server was not started:\n" + redact(traceback.format_exc(), secrets))
        return 1

    if prepare_only:
        log("databases prepared (--prepare-only: not starting the server)")
        return 0
    return serve(argv, env)


def run_ops(argv: list) -> int:
    """A scheduled job (ops.py): with the server's secrets, without preparing or starting it."""
    import ops

    env, secrets, workdir = load_environment()
    try:
        configure_gcp(env, workdir)
        return ops.main(argv, env)
    except Exception:  # noqa: BLE001 - one clear, redacted message
        log(f"{argv[0][2:]} FAILED:\n" + redact(traceback.format_exc(), secrets))
        return 1


def serve(argv: list, env: dict) -> int:
    """Runs `mlflow server` in this process: MLflow, SQLAlchemy and alembic are imported already
    (the preparation needed them), which a fresh `python -m mlflow server` would import again,
    about 3 s on one core."""
    if env.get(SUBMIT_ONLY_ENV, "").lower() == "true":
        submit_jobs_only()
    from mlflow.cli import cli

    log("mlflow server " + " ".join(argv))
    try:
        cli.main(args=["server", *argv], prog_name="mlflow", standalone_mode=True)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


def submit_jobs_only() -> None:
    """A web replica of mlflow:jobRunner "dedicated": it writes submitted jobs to the tracking
    database (MLflow's executor engine), and the one job-runner instance claims and runs them.
    `mlflow server` starts a job runner of its own whenever job execution is on; here it does not."""
    from mlflow.server.jobs import utils as job_utils

    def no_runner(_env, _server_pid):
        log("job runner: not here; jobs submitted to this server run on the dedicated job-runner instance")

    job_utils._launch_job_execution_runner = no_runner


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
