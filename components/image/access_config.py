"""Users and permissions as code for MLflow's basic-auth app: the entrypoint calls reconcile()
at every start, after the auth database is migrated, under the same PostgreSQL advisory lock.

- Every account of $MLFLOW_AUTH_USERS (JSON list of {name, password, admin}) exists, with that
  password and admin flag. A password is only re-hashed when it no longer matches.
- Every grant of $MLFLOW_AUTH_GRANTS (JSON list of {user, experiment, permission}) holds; an
  experiment a grant names is created when missing.
- What the deployment created and config no longer names is removed: the account is deleted
  (with its grants), a grant is revoked. The deployment remembers what it manages in a table of
  its own in the auth database, so accounts and grants made by hand in the UI are never touched.

Messages name accounts and experiments, never a password.
"""

import json

MANAGED_TABLE = "mlflow_deploy_managed"


def log(message: str) -> None:
    import sys

    print(f"[mlflow-deploy] {message}", file=sys.stderr, flush=True)


def _managed_table(metadata):
    import sqlalchemy as sa

    return sa.Table(
        MANAGED_TABLE,
        metadata,
        # kind: "user" (name = account) or "grant" (name = account, experiment_id set).
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("experiment_id", sa.String(64), primary_key=True, default=""),
    )


def _read_managed(engine, table) -> tuple:
    with engine.connect() as connection:
        rows = connection.execute(table.select()).fetchall()
    users = {r.name for r in rows if r.kind == "user"}
    grants = {(r.name, r.experiment_id) for r in rows if r.kind == "grant"}
    return users, grants


def _write_managed(engine, table, users: set, grants: set) -> None:
    with engine.begin() as connection:
        connection.execute(table.delete())
        rows = [{"kind": "user", "name": u, "experiment_id": ""} for u in sorted(users)]
        rows += [{"kind": "grant", "name": u, "experiment_id": e} for u, e in sorted(grants)]
        if rows:
            connection.execute(table.insert(), rows)


def _check(store, name: str, password: str) -> bool:
    try:
        return store.authenticate_user(name, password, use_primary=True)
    except TypeError:  # MLflow before 3.7: no replica, no keyword
        return store.authenticate_user(name, password)


def _sync_user(store, user: dict) -> str | None:
    """Makes one account match config; returns what changed, or None."""
    name, password, admin = user["name"], user["password"], bool(user.get("admin", False))
    if not store.has_user(name):
        store.create_user(name, password, is_admin=admin)
        return "created" + (" (admin)" if admin else "")
    changes = []
    if not _check(store, name, password):
        store.update_user(name, password=password)
        changes.append("password changed")
    if store.get_user(name).is_admin != admin:
        store.update_user(name, is_admin=admin)
        changes.append("now admin" if admin else "no longer admin")
    return ", ".join(changes) or None


def _experiment_ids(tracking_uri: str, names: set) -> dict:
    """The id of each named experiment, creating the missing ones as the server would."""
    if not names:
        return {}
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from mlflow.utils.server_cli_utils import resolve_default_artifact_root

    # Artifacts are proxied (--serve-artifacts): the server's own default root.
    tracking = SqlAlchemyStore(tracking_uri, resolve_default_artifact_root(True, None, tracking_uri))
    try:
        ids = {}
        for name in sorted(names):
            experiment = tracking.get_experiment_by_name(name)
            if experiment is None:
                ids[name] = tracking.create_experiment(name)
                log(f"access: experiment '{name}' created for its grants")
            else:
                ids[name] = experiment.experiment_id
        return ids
    finally:
        tracking.engine.dispose()


def _sync_grant(store, user: str, experiment_id: str, permission: str) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        current = store.get_experiment_permission(experiment_id, user).permission
    except MlflowException:
        store.create_experiment_permission(experiment_id, user, permission)
        return f"granted {permission}"
    if current != permission:
        store.update_experiment_permission(experiment_id, user, permission)
        return f"{current} -> {permission}"
    return None


def reconcile(store, env: dict, tracking_uri: str) -> None:
    """Makes the auth database's accounts and grants match $MLFLOW_AUTH_USERS and $MLFLOW_AUTH_GRANTS."""
    import time

    import sqlalchemy as sa
    from mlflow.exceptions import MlflowException

    started = time.monotonic()
    users = json.loads(env.pop("MLFLOW_AUTH_USERS", "") or "[]")
    grants = json.loads(env.get("MLFLOW_AUTH_GRANTS", "") or "[]")
    admin = env.get("MLFLOW_AUTH_ADMIN_USERNAME", "admin")

    table = _managed_table(sa.MetaData())
    table.create(store.engine, checkfirst=True)
    managed_users, managed_grants = _read_managed(store.engine, table)

    wanted = {u["name"] for u in users}
    for user in users:
        change = _sync_user(store, user)
        if change:
            log(f"access: account '{user['name']}': {change}")
    for name in sorted(managed_users - wanted - {admin}):
        if store.has_user(name):
            store.delete_user(name)
            log(f"access: account '{name}' deleted (no longer in mlflow:users)")

    ids = _experiment_ids(tracking_uri, {g["experiment"] for g in grants})
    wanted_grants = set()
    for grant in grants:
        key = (grant["user"], str(ids[grant["experiment"]]))
        wanted_grants.add(key)
        change = _sync_grant(store, key[0], key[1], grant["permission"])
        if change:
            log(f"access: '{grant['user']}' on experiment '{grant['experiment']}': {change}")
    for user, experiment_id in sorted(managed_grants - wanted_grants):
        if user in wanted:
            try:
                store.delete_experiment_permission(experiment_id, user)
                log(f"access: '{user}' on experiment {experiment_id}: grant revoked (no longer in mlflow:grants)")
            except MlflowException:
                pass  # revoked by hand already

    _write_managed(store.engine, table, wanted, wanted_grants)
    log(f"access: {len(users)} account(s) and {len(grants)} grant(s) from config in place ({time.monotonic() - started:.1f} s)")
