"""Runs for the garbage-collection test, through the real MLflow client.

usage: ops_check.py log STATE_FILE     two runs with artifacts in one experiment; the second deleted
       ops_check.py status STATE_FILE  {"kept": ..., "deleted": ...}: "active", "deleted" or "gone"
Tracking URI and credentials from MLFLOW_TRACKING_URI / _USERNAME / _PASSWORD. Prints one JSON object.
"""

import json
import os
import sys
import tempfile

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient


def log(state_file: str) -> dict:
    mlflow.set_experiment("gc-check")
    ids = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, size in (("kept", 1024), ("deleted", 1024 * 1024)):
            path = os.path.join(tmp, f"{name}.bin")
            with open(path, "wb") as f:
                f.write(os.urandom(size))
            with mlflow.start_run(run_name=name) as run:
                mlflow.log_param("which", name)
                mlflow.log_artifact(path, artifact_path="files")
            ids[name] = run.info.run_id
            experiment_id = run.info.experiment_id
    MlflowClient().delete_run(ids["deleted"])
    state = {"experiment_id": experiment_id, **ids}
    with open(state_file, "w") as f:
        json.dump(state, f)
    return state


def stage(client: MlflowClient, run_id: str) -> str:
    try:
        return client.get_run(run_id).info.lifecycle_stage
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            return "gone"
        raise


def status(state_file: str) -> dict:
    with open(state_file) as f:
        state = json.load(f)
    client = MlflowClient()
    result = {name: stage(client, state[name]) for name in ("kept", "deleted")}
    result["kept_artifacts"] = [a.path for a in client.list_artifacts(state["kept"], "files")]
    return result


if __name__ == "__main__":
    mode, state_file = sys.argv[1], sys.argv[2]
    print(json.dumps(log(state_file) if mode == "log" else status(state_file)))
