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
- makes the admin password match the configured one when the admin user already exists
  (MLflow itself only uses it when it first creates the user).

`entrypoint.py --healthcheck PORT` exits 0 when the server answers on /health.
"""

import os
import pathlib
import re
import sys
import tempfile
import urllib.request

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
        "default_permission = READ",
        f"database_uri = {database_uri.replace('%', '%%')}",
        f"admin_username = {env.get('MLFLOW_AUTH_ADMIN_USERNAME', 'admin')}",
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth",
        "",
    ])
    env["MLFLOW_AUTH_CONFIG_PATH"] = write_private(workdir, "basic_auth.ini", ini)
    sync_admin_password(database_uri, env.get("MLFLOW_AUTH_ADMIN_USERNAME", "admin"), env.get("MLFLOW_AUTH_ADMIN_PASSWORD"))


def ensure_postgres_database(database_uri: str, via_uri: str) -> None:
    """Creates the auth database beside the tracking one when it does not exist yet."""
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
                    log(f"created database {target.database} for the basic-auth app")
                except sqlalchemy.exc.DBAPIError as error:
                    # Another replica starting at the same moment may have created it first.
                    if "already exists" not in str(error):
                        raise
    finally:
        engine.dispose()


def sync_admin_password(database_uri: str, username: str, password: str | None) -> None:
    if not password:
        return
    from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore()
    store.init_db(database_uri)
    if store.has_user(username, use_primary=True) and not store.authenticate_user(username, password, use_primary=True):
        store.update_user(username, password=password)
        log(f"admin user '{username}': password changed to the configured one")


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


def main(argv: list) -> int:
    if argv[:1] == ["--healthcheck"]:
        return healthcheck(argv[1] if len(argv) > 1 else "5000")

    env = dict(os.environ)
    load_secret_files(env)
    workdir = tempfile.mkdtemp(prefix="mlflow-deploy-")
    os.chmod(workdir, 0o700)
    ensure_sqlite_directory(env.get("MLFLOW_BACKEND_STORE_URI", ""))
    configure_gcp(env, workdir)
    configure_auth(env, workdir)

    command = [sys.executable, "-m", "mlflow", "server", *argv]
    log("exec mlflow server " + " ".join(argv))
    os.execve(sys.executable, command, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
