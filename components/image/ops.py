"""The scheduled jobs of a deployment, run from the server image by entrypoint.py:

- `--gc`: `mlflow gc --older-than $MLFLOW_DEPLOY_GC_OLDER_THAN` against $MLFLOW_BACKEND_STORE_URI.
  The server stores runs' artifacts under `mlflow-artifacts:/...` URIs that only a server can
  resolve; here they are mapped straight onto the artifact store
  ($MLFLOW_DEPLOY_ARTIFACTS_DESTINATION), as the server itself does, so gc needs no server, no
  sign-in and no network path to it.
- `--backup`, `--restore NAME|latest`, `--list-backups`: backup.py.
- `--scheduler`: runs each job named by $MLFLOW_DEPLOY_SCHEDULE_<JOB> (five cron fields, UTC) as
  a child process on its schedule, and the backup once at start when the destination holds none.
  A job's output goes to the container's log; its exit code to a status file that
  `--ops-health` reads, so one failed run makes the container unhealthy until a run succeeds.
- `--ops-health`: exits 1 when the last run of any job failed.

Jobs never overlap: each takes an exclusive lock first, and a restore waits for a running backup.
"""

import contextlib
import datetime
import fcntl
import json
import os
import subprocess
import sys
import time
import urllib.parse

import backup

STATUS_FILE = os.environ.get("MLFLOW_DEPLOY_OPS_STATUS", "/tmp/mlflow-deploy-ops-status.json")
LOCK_FILE = os.environ.get("MLFLOW_DEPLOY_OPS_LOCK", "/tmp/mlflow-deploy-ops.lock")
SCHEDULE_PREFIX = "MLFLOW_DEPLOY_SCHEDULE_"
COMMANDS = ("--gc", "--backup", "--restore", "--list-backups", "--scheduler", "--ops-health")


def log(message: str) -> None:
    print(f"[mlflow-deploy] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def exclusive(what: str):
    with open(LOCK_FILE, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"{what}: waiting for the job that is running to finish")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def map_proxied_artifacts(destination: str) -> None:
    """Resolves `mlflow-artifacts:/<path>` to `<destination>/<path>`, as `mlflow server
    --serve-artifacts --artifacts-destination <destination>` does."""
    from mlflow.store.artifact import artifact_repository_registry as registry

    root = destination.rstrip("/")

    def repository(artifact_uri, tracking_uri=None, registry_uri=None):
        path = urllib.parse.urlparse(artifact_uri).path.lstrip("/")
        return registry.get_artifact_repository(f"{root}/{path}" if path else root)

    registry._artifact_repository_registry.register("mlflow-artifacts", repository)


def run_gc(env: dict) -> int:
    uri = env["MLFLOW_BACKEND_STORE_URI"]
    older_than = env.get("MLFLOW_DEPLOY_GC_OLDER_THAN") or "30d"
    map_proxied_artifacts(env["MLFLOW_DEPLOY_ARTIFACTS_DESTINATION"])
    import mlflow
    from mlflow.cli import cli

    # In this process, not on a command line: the URI carries the database password.
    mlflow.set_tracking_uri(uri)
    started = time.monotonic()
    log(f"gc: purging runs, experiments and models deleted more than {older_than} ago")
    try:
        cli.main(args=["gc", "--backend-store-uri", uri, "--older-than", older_than], prog_name="mlflow", standalone_mode=False)
    except SystemExit as done:
        if done.code not in (0, None):
            return int(done.code) if isinstance(done.code, int) else 1
    log(f"gc: done in {time.monotonic() - started:.1f} s")
    return 0


def schedules(env: dict) -> dict:
    return {k[len(SCHEDULE_PREFIX):].lower(): v for k, v in env.items() if k.startswith(SCHEDULE_PREFIX) and v}


def write_status(status: dict) -> None:
    tmp = STATUS_FILE + ".tmp"
    with open(tmp, "w") as f:
        json.dump(status, f, indent=2)
    os.replace(tmp, STATUS_FILE)


def run_job(name: str, status: dict) -> int:
    started = datetime.datetime.now(datetime.timezone.utc)
    log(f"scheduler: {name} started")
    code = subprocess.call([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "entrypoint.py"), f"--{name}"])
    seconds = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()
    status[name] = {"started": started.isoformat(timespec="seconds"), "seconds": round(seconds, 1), "exitCode": code}
    if code == 0:
        status[name]["lastSuccess"] = status[name]["started"]
    write_status(status)
    log(f"scheduler: {name} {'succeeded' if code == 0 else f'FAILED with exit code {code}'} in {seconds:.1f} s")
    return code


def run_scheduler(env: dict) -> int:
    from croniter import croniter

    jobs = schedules(env)
    if not jobs:
        log("scheduler: no job is scheduled")
        return 1
    status: dict = {}
    write_status(status)
    now = datetime.datetime.now(datetime.timezone.utc)
    due = {name: croniter(cron, now).get_next(datetime.datetime) for name, cron in jobs.items()}
    log("scheduler: " + "; ".join(f"{n} at '{jobs[n]}' UTC, next {due[n].isoformat(timespec='minutes')}" for n in sorted(jobs)))
    if "backup" in jobs:
        try:
            first = not backup.backups(env["MLFLOW_DEPLOY_BACKUP_DESTINATION"])
        except Exception as error:  # noqa: BLE001 - an unreachable destination is a failed backup
            log(f"scheduler: the backup destination cannot be listed: {error}")
            first = True
        if first:
            log("scheduler: the destination holds no backup yet: taking the first one now")
            run_job("backup", status)
    while True:
        name = min(due, key=due.get)
        wait = (due[name] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        if wait > 0:
            time.sleep(min(wait, 60))
            continue
        run_job(name, status)
        due[name] = croniter(jobs[name], datetime.datetime.now(datetime.timezone.utc)).get_next(datetime.datetime)


def health() -> int:
    try:
        with open(STATUS_FILE) as f:
            status = json.load(f)
    except (OSError, ValueError):
        print("unhealthy: the scheduler has not started", file=sys.stderr)
        return 1
    failed = [f"{name} (exit {s['exitCode']} at {s['started']}, last success {s.get('lastSuccess', 'never')})" for name, s in status.items() if s.get("exitCode") != 0]
    if failed:
        print("unhealthy: last run failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


def main(argv: list, env: dict) -> int:
    """Runs one command of COMMANDS; the caller has loaded the secrets into `env`."""
    command = argv[0]
    if command == "--scheduler":
        return run_scheduler(env)
    if command in ("--backup", "--restore", "--list-backups") and not env.get("MLFLOW_DEPLOY_BACKUP_DESTINATION"):
        log(f"{command[2:]}: this stack has no backup destination: set mlflow:backup (README: Operations)")
        return 2
    if command == "--list-backups":
        for name in backup.backups(env["MLFLOW_DEPLOY_BACKUP_DESTINATION"]):
            print(name)
        return 0
    try:
        with exclusive(command[2:]):
            if command == "--gc":
                return run_gc(env)
            if command == "--backup":
                backup.run_backup(env)
                return 0
            if len(argv) < 2:
                log("--restore needs the name of a backup (or latest): entrypoint.py --restore mlflow-backup-20261201T030000Z")
                return 2
            backup.run_restore(env, argv[1])
            return 0
    except backup.BackupError as error:
        log(f"{command[2:]} FAILED: {error}")
        return 1
