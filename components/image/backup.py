"""Backups of a Docker stack and their restore (`entrypoint.py --backup | --restore | --list-backups`).

A backup is a folder `mlflow-backup-<UTC time>` in the destination ($MLFLOW_DEPLOY_BACKUP_DESTINATION:
a directory, or an s3://, wasbs:// or gs:// URI reached through MLflow's own artifact repositories
with the artifact store's credentials), holding:

- each database the server uses: the tracking one ($MLFLOW_BACKEND_STORE_URI) and, when set, the
  basic-auth one ($MLFLOW_AUTH_DATABASE_URI) and single sign-on's ($OIDC_USERS_DB_URI). SQLite is
  copied with SQLite's online backup API (a consistent copy of a live database, never a raw file
  copy); PostgreSQL with `pg_dump --format=custom` (one consistent snapshot per database);
- the local artifacts ($MLFLOW_DEPLOY_LOCAL_ARTIFACTS) as a gzip'd tar;
- manifest.json, written last: the SHA-256 and size of every file. A folder without it is an
  unfinished backup: never restored, never counted, removed by the next successful backup.

After each backup the destination keeps the newest $MLFLOW_DEPLOY_BACKUP_KEEP backups.

A restore checks every file against the manifest before it touches anything, moves what is there
now aside (SQLite files and artifacts to <data>/.pre-restore/<time>/, PostgreSQL as a pg_dump
there), then puts the backup in place. The server must be stopped meanwhile (npm run restore does).
"""

import datetime
import hashlib
import json
import os
import pathlib
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time

NAME = re.compile(r"^mlflow-backup-\d{8}T\d{6}Z$")
MANIFEST = "manifest.json"
DATABASES = (("tracking", "MLFLOW_BACKEND_STORE_URI"), ("auth", "MLFLOW_AUTH_DATABASE_URI"), ("oidc", "OIDC_USERS_DB_URI"))
ARTIFACTS_FILE = "artifacts.tar.gz"
# The image carries PostgreSQL's client tools of the pinned server's major version (Dockerfile).
PG_TOOLS = "/opt/pgtools/bin"


class BackupError(Exception):
    """What failed and what to do; never a URI or a password."""


def log(message: str) -> None:
    print(f"[mlflow-deploy] {message}", file=sys.stderr, flush=True)


def _repository(destination: str):
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    if destination.startswith("/"):
        pathlib.Path(destination).mkdir(parents=True, exist_ok=True)
    return get_artifact_repository(destination)


def _sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sqlite_path(uri: str) -> pathlib.Path:
    import sqlalchemy

    return pathlib.Path(sqlalchemy.engine.make_url(uri).database)


def _pg_env(uri: str, workdir: str) -> dict:
    """libpq's environment for the database of `uri`: the password in a private pgpass file, so it
    is on no command line and in no environment variable."""
    import sqlalchemy

    url = sqlalchemy.engine.make_url(uri)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PGHOST=url.host or "localhost", PGPORT=str(url.port or 5432), PGUSER=url.username or "", PGDATABASE=url.database or "")
    if url.query.get("sslmode"):
        env["PGSSLMODE"] = str(url.query["sslmode"])
    escape = lambda s: str(s).replace("\\", "\\\\").replace(":", "\\:")  # noqa: E731
    passfile = os.path.join(workdir, "pgpass")
    fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(":".join(escape(p) for p in ("*", "*", "*", "*", url.password or "")) + "\n")
    env["PGPASSFILE"] = passfile
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name, path=f"{PG_TOOLS}:{os.environ.get('PATH', '')}")
    if not found:
        raise BackupError(f"{name} is not in this image ({PG_TOOLS} or PATH): rebuild the server image")
    return found


def _run(args: list, env: dict, what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _dump_database(kind: str, uri: str, folder: pathlib.Path, workdir: str) -> str:
    if uri.startswith("sqlite:"):
        source = _sqlite_path(uri)
        if not source.is_file():
            raise BackupError(f"the {kind} SQLite database {source} does not exist")
        target = folder / f"{kind}.sqlite"
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return target.name
    if uri.startswith("postgresql"):
        target = folder / f"{kind}.pgdump"
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"], _pg_env(uri, workdir), f"pg_dump of the {kind} database")
        return target.name
    raise BackupError(f"the {kind} store is neither SQLite nor PostgreSQL: it cannot be backed up here")


def _archive_artifacts(directory: str, folder: pathlib.Path) -> str:
    target = folder / ARTIFACTS_FILE
    source = pathlib.Path(directory)
    with tarfile.open(target, "w:gz", compresslevel=1) as tar:
        if source.is_dir():
            for child in sorted(source.iterdir()):
                tar.add(child, arcname=child.name)
    return target.name


def backups(destination: str) -> list:
    """The complete backups in the destination, oldest first."""
    repo = _repository(destination)
    names = sorted(pathlib.PurePosixPath(f.path).name for f in repo.list_artifacts() if f.is_dir)
    return [n for n in names if NAME.match(n) and any(pathlib.PurePosixPath(f.path).name == MANIFEST for f in repo.list_artifacts(n))]


def run_backup(env: dict) -> str:
    destination = env["MLFLOW_DEPLOY_BACKUP_DESTINATION"]
    keep = int(env.get("MLFLOW_DEPLOY_BACKUP_KEEP") or 7)
    started = time.monotonic()
    taken = {pathlib.PurePosixPath(f.path).name for f in _repository(destination).list_artifacts()}
    name = _new_name()
    while name in taken:  # two backups within one second: names are per second
        time.sleep(0.5)
        name = _new_name()
    with tempfile.TemporaryDirectory(prefix="mlflow-backup-") as workdir:
        folder = pathlib.Path(workdir) / name
        folder.mkdir()
        files = [_dump_database(kind, env[var], folder, workdir) for kind, var in DATABASES if env.get(var)]
        if env.get("MLFLOW_DEPLOY_LOCAL_ARTIFACTS"):
            files.append(_archive_artifacts(env["MLFLOW_DEPLOY_LOCAL_ARTIFACTS"], folder))
        manifest = {
            "format": 1,
            "name": name,
            "mlflowVersion": env.get("MLFLOW_DEPLOY_MLFLOW_VERSION", ""),
            "databases": {kind: ("sqlite" if env[var].startswith("sqlite:") else "postgresql") for kind, var in DATABASES if env.get(var)},
            "files": {f: {"sha256": _sha256(folder / f), "bytes": (folder / f).stat().st_size} for f in files},
        }
        repo = _repository(destination)
        for f in files:
            repo.log_artifact(str(folder / f), name)
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        repo.log_artifact(str(folder / MANIFEST), name)
    size = sum(f["bytes"] for f in manifest["files"].values())
    log(f"backup {name}: {len(files)} files, {size / 1e6:.1f} MB, in {time.monotonic() - started:.1f} s")
    _apply_retention(destination, keep, name)
    return name


def _new_name() -> str:
    return "mlflow-backup-" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _apply_retention(destination: str, keep: int, newest: str) -> None:
    repo = _repository(destination)
    complete = backups(destination)
    unfinished = [pathlib.PurePosixPath(f.path).name for f in repo.list_artifacts() if f.is_dir]
    unfinished = [n for n in unfinished if NAME.match(n) and n not in complete and n != newest]
    for old in complete[: max(0, len(complete) - keep)] + unfinished:
        repo.delete_artifacts(old)
        log(f"removed {'unfinished backup' if old in unfinished else 'backup'} {old} (keeping {keep})")


def _fetch(destination: str, name: str, workdir: str) -> tuple:
    available = backups(destination)
    if name == "latest":
        if not available:
            raise BackupError("the destination holds no complete backup")
        name = available[-1]
    if name not in available:
        raise BackupError(f"no complete backup named {name}; the destination holds: {', '.join(available) or 'none'}")
    local = pathlib.Path(_repository(destination).download_artifacts(name, workdir))
    manifest = json.loads((local / MANIFEST).read_text())
    for f, expected in manifest["files"].items():
        if _sha256(local / f) != expected["sha256"]:
            raise BackupError(f"{name}/{f} does not match its manifest: the backup is damaged, restore another")
    return name, local, manifest


def run_restore(env: dict, name: str) -> str:
    destination = env["MLFLOW_DEPLOY_BACKUP_DESTINATION"]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mlflow-restore-") as workdir:
        name, local, manifest = _fetch(destination, name, workdir)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        aside = pathlib.Path(env.get("MLFLOW_DEPLOY_RESTORE_ASIDE", "/mlflow/.pre-restore")) / stamp
        aside.mkdir(parents=True)
        for kind, var in DATABASES:
            if kind in manifest["databases"] and env.get(var):
                _restore_database(kind, env[var], local, aside, workdir)
        if ARTIFACTS_FILE in manifest["files"] and env.get("MLFLOW_DEPLOY_LOCAL_ARTIFACTS"):
            _restore_artifacts(env["MLFLOW_DEPLOY_LOCAL_ARTIFACTS"], local / ARTIFACTS_FILE, aside)
    log(f"restored {name} (written by MLflow {manifest.get('mlflowVersion') or '?'}) in {time.monotonic() - started:.1f} s; what was there before is in {aside}")
    return name


def _restore_database(kind: str, uri: str, local: pathlib.Path, aside: pathlib.Path, workdir: str) -> None:
    if uri.startswith("sqlite:"):
        target = _sqlite_path(uri)
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(target.name + ".restoring")
        shutil.copyfile(local / f"{kind}.sqlite", staged)
        for suffix in ("", "-wal", "-shm", "-journal"):
            current = target.with_name(target.name + suffix)
            if current.exists():
                shutil.move(str(current), aside / current.name)
        os.replace(staged, target)
        log(f"{kind} database: SQLite file {target} restored")
        return
    env = _pg_env(uri, workdir)
    if _ensure_pg_database(uri):
        log(f"{kind} database: '{env['PGDATABASE']}' was missing and is created empty")
    else:
        _run([_pg_tool("pg_dump"), "--format=custom", f"--file={aside / (kind + '.pgdump')}"], env, f"pg_dump of the current {kind} database before the restore")
    _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", f"--dbname={env['PGDATABASE']}", str(local / f"{kind}.pgdump")], env, f"pg_restore of the {kind} database")
    log(f"{kind} database: PostgreSQL database '{env['PGDATABASE']}' restored")


def _ensure_pg_database(uri: str) -> bool:
    """Creates the database of `uri` when it is gone (a lost volume, a dropped database); True if it did."""
    import sqlalchemy

    url = sqlalchemy.engine.make_url(uri)
    engine = sqlalchemy.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if connection.execute(sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).scalar():
                return False
            connection.execute(sqlalchemy.text(f"CREATE DATABASE {connection.dialect.identifier_preparer.quote(url.database)}"))
            return True
    finally:
        engine.dispose()


def _extract_plain(tar: tarfile.TarFile, into: pathlib.Path) -> None:
    """Only regular files and directories, only below `into` (tarfile's "data" filter exists from
    Python 3.11.4 on; the MLflow image may run an older 3.11)."""
    root = os.path.realpath(into)
    for member in tar.getmembers():
        target = os.path.realpath(os.path.join(root, member.name))
        if not (member.isfile() or member.isdir()) or not (target == root or target.startswith(root + os.sep)):
            raise BackupError(f"{member.name} in {ARTIFACTS_FILE} is not a plain file or folder of the artifacts: restore another backup")
    if hasattr(tarfile, "data_filter"):
        tar.extractall(into, filter="data")
    else:
        tar.extractall(into)


def _restore_artifacts(directory: str, archive: pathlib.Path, aside: pathlib.Path) -> None:
    target = pathlib.Path(directory)
    staged = target.with_name(target.name + ".restoring")
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    with tarfile.open(archive, "r:gz") as tar:
        _extract_plain(tar, staged)
    if target.exists():
        shutil.move(str(target), aside / target.name)
    os.replace(staged, target)
    log(f"artifacts: {target} restored")
