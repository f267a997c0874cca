"""Logs a run with the real MLflow client, or reads one back and checks every value and byte.

usage: client_check.py log|verify STATE_FILE   (tracking URI from MLFLOW_TRACKING_URI,
credentials from MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD when auth is on)
Prints one JSON object; exits non-zero on any mismatch.
"""

import hashlib
import json
import os
import random
import sys
import tempfile

import mlflow
from mlflow.tracking import MlflowClient

ARTIFACT_NAME = "model-weights.bin"
ARTIFACT_SIZE = 5 * 1024 * 1024
PARAMS = {"learning_rate": "0.01", "optimizer": "adam", "note": "spaces & symbols: /?#%"}
METRIC_VALUES = [0.9, 0.5, 0.25, 0.125]


def log(state_file: str) -> dict:
    mlflow.set_experiment("integration-check")
    payload = random.Random(42).randbytes(ARTIFACT_SIZE)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, ARTIFACT_NAME)
        with open(path, "wb") as f:
            f.write(payload)
        with mlflow.start_run() as run:
            mlflow.log_params(PARAMS)
            for step, value in enumerate(METRIC_VALUES):
                mlflow.log_metric("loss", value, step=step)
            mlflow.log_artifact(path, artifact_path="weights")
    state = {
        "run_id": run.info.run_id,
        "experiment_id": run.info.experiment_id,
        "artifact_uri": run.info.artifact_uri,
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    with open(state_file, "w") as f:
        json.dump(state, f)
    return state


def verify(state_file: str) -> dict:
    with open(state_file) as f:
        state = json.load(f)
    client = MlflowClient()
    run = client.get_run(state["run_id"])
    problems = []
    if run.data.params != PARAMS:
        problems.append(f"params {run.data.params} != {PARAMS}")
    history = [m.value for m in sorted(client.get_metric_history(run.info.run_id, "loss"), key=lambda m: m.step)]
    if history != METRIC_VALUES:
        problems.append(f"metric history {history} != {METRIC_VALUES}")
    if not run.info.artifact_uri.startswith("mlflow-artifacts:/"):
        problems.append(f"artifact URI {run.info.artifact_uri} is not proxied")
    with tempfile.TemporaryDirectory() as tmp:
        local = client.download_artifacts(run.info.run_id, f"weights/{ARTIFACT_NAME}", tmp)
        with open(local, "rb") as f:
            data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != state["sha256"] or len(data) != ARTIFACT_SIZE:
        problems.append(f"artifact bytes differ: {len(data)} bytes, sha256 {digest}")
    listed = [a.path for a in client.list_artifacts(run.info.run_id, "weights")]
    if listed != [f"weights/{ARTIFACT_NAME}"]:
        problems.append(f"listed artifacts {listed}")
    return {**state, "problems": problems, "bytes": len(data)}


if __name__ == "__main__":
    mode, state_file = sys.argv[1], sys.argv[2]
    result = log(state_file) if mode == "log" else verify(state_file)
    print(json.dumps(result))
    sys.exit(1 if result.get("problems") else 0)
