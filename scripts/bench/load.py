#!/usr/bin/env python3
"""Tracking load for `npm run bench`: N concurrent MLflow clients, each in a process of its own,
log runs for a fixed time against one server and report how many they completed.

One run is what a training script does at its smallest: create_run, one log_batch of 5 params
and 10 metrics, set_terminated (3 requests). The client never retries (a failure counts as an
error, not as a slow success), and a request times out after 60 s.

usage: load.py URL CLIENTS SECONDS
(credentials, if any, from MLFLOW_TRACKING_USERNAME/PASSWORD; the CPUs to run on from BENCH_CPUS)
prints one JSON line: {"runs": n, "errors": n, "seconds": s, "client_cpu_seconds": s, "first_error": "..."}
"""

import json
import multiprocessing
import os
import resource
import sys
import time

os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")

from mlflow.entities import Metric, Param  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

PARAMS = [Param(f"p{i}", str(i)) for i in range(5)]


def one_run(client: MlflowClient, experiment_id: str, step: int) -> None:
    run = client.create_run(experiment_id)
    now = int(time.time() * 1000)
    metrics = [Metric(f"m{i}", float(i * step), now, step) for i in range(10)]
    client.log_batch(run.info.run_id, metrics=metrics, params=PARAMS)
    client.set_terminated(run.info.run_id)


def worker(url: str, experiment_id: str, start_at: float, stop_at: float, results) -> None:
    client = MlflowClient(tracking_uri=url)
    runs = errors = 0
    first_error = ""
    # One untimed run first: the connection pool and the client's lazy imports warm up.
    try:
        one_run(client, experiment_id, 0)
    except Exception as error:  # noqa: BLE001
        errors += 1
        first_error = f"{type(error).__name__}: {error}"[:300]
    while time.time() < start_at:
        time.sleep(0.01)
    step = 1
    while time.time() < stop_at:
        try:
            one_run(client, experiment_id, step)
            if time.time() <= stop_at:
                runs += 1
        except Exception as error:  # noqa: BLE001
            errors += 1
            first_error = first_error or f"{type(error).__name__}: {error}"[:300]
        step += 1
    results.put((runs, errors, first_error))


def pin_to(cpus: str) -> None:
    """Keeps the clients off the server's core (BENCH_CPUS: "1-3", "1")."""
    chosen = set()
    for part in cpus.split(","):
        low, _, high = part.partition("-")
        chosen.update(range(int(low), int(high or low) + 1))
    os.sched_setaffinity(0, chosen)


def main(argv: list) -> int:
    url, clients, seconds = argv[0], int(argv[1]), float(argv[2])
    if os.environ.get("BENCH_CPUS"):
        pin_to(os.environ["BENCH_CPUS"])
    client = MlflowClient(tracking_uri=url)
    name = f"bench-{os.getpid()}-{int(time.time())}"
    experiment_id = client.create_experiment(name)
    results = multiprocessing.get_context("fork").Queue()
    # Every client warms up first; the timed window opens for all of them at once.
    start_at = time.time() + 5
    stop_at = start_at + seconds
    procs = [multiprocessing.get_context("fork").Process(target=worker, args=(url, experiment_id, start_at, stop_at, results)) for _ in range(clients)]
    for p in procs:
        p.start()
    collected = [results.get(timeout=seconds + 180) for _ in procs]
    for p in procs:
        p.join(10)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    errors = [e for _, _, e in collected if e]
    print(json.dumps({
        "runs": sum(r for r, _, _ in collected),
        "errors": sum(e for _, e, _ in collected),
        "seconds": seconds,
        "client_cpu_seconds": usage.ru_utime + usage.ru_stime,
        "first_error": errors[0] if errors else "",
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
