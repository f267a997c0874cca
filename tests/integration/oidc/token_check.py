"""The MLflow Python client against the single sign-on server, signed in with an access token.

Reads MLFLOW_TRACKING_URI, MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (the token).

    token_check.py log EXPERIMENT   logs a run with a param and a metric, reads it back, prints JSON
    token_check.py refused          exits 0 when the client's call is refused, printing the error
"""

import json
import sys

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient


def log(experiment_name: str) -> int:
    experiment = mlflow.set_experiment(experiment_name)
    with mlflow.start_run() as run:
        mlflow.log_param("optimizer", "adam")
        mlflow.log_metric("accuracy", 0.93, step=1)
    stored = MlflowClient().get_run(run.info.run_id)
    print(json.dumps({
        "experiment_id": experiment.experiment_id,
        "run_id": run.info.run_id,
        "user_id": stored.info.user_id,
        "params": stored.data.params,
        "metrics": stored.data.metrics,
    }))
    return 0


def refused() -> int:
    try:
        MlflowClient().search_experiments(max_results=1)
    except MlflowException as error:
        # The plugin's 401 body is not MLflow's error format: the client reports it as
        # INTERNAL_ERROR with the body ({"detail": "Authentication required"}) in the message.
        print(str(error)[:500])
        return 0
    print("the server accepted the credentials")
    return 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["log"] and len(sys.argv) == 3:
        sys.exit(log(sys.argv[2]))
    if sys.argv[1:] == ["refused"]:
        sys.exit(refused())
    sys.exit(__doc__)
