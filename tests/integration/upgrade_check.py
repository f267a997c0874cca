"""The MLflow side of the upgrade test: data written by one MLflow version, read by another.

usage: upgrade_check.py head                 this interpreter's MLflow version and schema head
       upgrade_check.py write STATE_FILE     write an experiment, a run and a registered model
                                             straight into the database (MLFLOW_TRACKING_URI is
                                             the database URI: the old version's own store
                                             creates the schema, at its own head)
       upgrade_check.py verify STATE_FILE    read all of it back through a server (tracking URI
                                             and credentials from the environment), and write to
                                             the old run
       upgrade_check.py revision             the database's alembic revision (URI from
                                             MLFLOW_TRACKING_URI), read with SQLAlchemy only
The URIs come from the environment, never the command line (they carry the password). Prints
one JSON object last; exits non-zero on any mismatch.
"""

import json
import os
import sys
import uuid

PARAMS = {"alpha": "0.5", "written_by": "previous", "note": "spaces & symbols: /?#%"}
LOSS = [1.0, 0.5, 0.25]
TAGS = {"team": "ml-platform"}
MODEL = "upgrade-check-model"


def head() -> dict:
    import mlflow
    from mlflow.store.db.utils import _get_latest_schema_revision

    return {"version": mlflow.__version__, "head": _get_latest_schema_revision()}


def write(state_file: str) -> dict:
    import mlflow
    from mlflow import MlflowClient

    experiment_name = f"written-by-mlflow-{mlflow.__version__}"
    mlflow.set_experiment(experiment_name)
    with mlflow.start_run(run_name="before-upgrade") as run:
        mlflow.log_params(PARAMS)
        mlflow.set_tags(TAGS)
        for step, value in enumerate(LOSS):
            mlflow.log_metric("loss", value, step=step)
    client = MlflowClient()
    client.create_registered_model(MODEL, description=f"registered by MLflow {mlflow.__version__}")
    state = {
        **head(),
        "experiment_name": experiment_name,
        "experiment_id": run.info.experiment_id,
        "run_id": run.info.run_id,
    }
    with open(state_file, "w") as f:
        json.dump(state, f)
    return state


def verify(state_file: str) -> dict:
    import mlflow
    from mlflow import MlflowClient

    with open(state_file) as f:
        state = json.load(f)
    client = MlflowClient()
    problems = []
    experiment = client.get_experiment_by_name(state["experiment_name"])
    if experiment is None or experiment.experiment_id != state["experiment_id"]:
        problems.append(f"experiment {state['experiment_name']} not found as {state['experiment_id']}: {experiment}")
    run = client.get_run(state["run_id"])
    if run.data.params != PARAMS:
        problems.append(f"params {run.data.params} != {PARAMS}")
    if any(run.data.tags.get(k) != v for k, v in TAGS.items()):
        problems.append(f"tags {run.data.tags}")
    history = [m.value for m in sorted(client.get_metric_history(state["run_id"], "loss"), key=lambda m: m.step)]
    if history != LOSS:
        problems.append(f"metric history {history} != {LOSS}")
    model = client.get_registered_model(MODEL)
    if model.description != f"registered by MLflow {state['version']}":
        problems.append(f"registered model description {model.description!r}")
    # The upgraded schema takes writes too (a fresh key per call: verify runs once per server).
    key = f"after_upgrade_{uuid.uuid4().hex[:8]}"
    client.log_metric(state["run_id"], key, 1.0, step=0)
    if [m.value for m in client.get_metric_history(state["run_id"], key)] != [1.0]:
        problems.append("a metric written after the upgrade did not read back")
    return {"verified_with": mlflow.__version__, "run_id": state["run_id"], "problems": problems}


def revision() -> dict:
    import sqlalchemy

    engine = sqlalchemy.create_engine(os.environ["MLFLOW_TRACKING_URI"])
    try:
        with engine.connect() as connection:
            value = connection.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    return {"revision": value}


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "head":
        result = head()
    elif mode == "write":
        result = write(sys.argv[2])
    elif mode == "verify":
        result = verify(sys.argv[2])
    elif mode == "revision":
        result = revision()
    else:
        sys.exit(f"unknown mode {mode}")
    print(json.dumps(result))
    sys.exit(1 if result.get("problems") else 0)
