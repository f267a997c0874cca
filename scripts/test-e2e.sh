#!/usr/bin/env bash
# npm run test:e2e: the end-to-end suite (tests/e2e) through a real Pulumi engine and a real
# Docker engine. It finds or makes what it needs:
#   - the Docker engine: scripts/docker-engine.sh (started here only if `docker info` fails, and
#     then stopped again at the end);
#   - the Pulumi CLI: a `pulumi` on PATH is used as it is; without one, the stand-in toolchain in
#     ../shared/pulumi-local (or $PULUMI_LOCAL_KIT) is built and put on PATH, and the base images
#     it cannot pull are built locally for the pinned versions (scripts/pins.ts).
# Arguments go to mocha (e.g. --grep dev). E2E_VERBOSE=1 prints every command's output.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node22/node_modules/.bin:$PATH"
[ -x node_modules/.bin/mocha ] || { echo "run npm run setup first (node_modules is missing)" >&2; exit 1; }

dockerd_pid=""
stop_engine() {
    if [ -n "$dockerd_pid" ]; then
        echo "== stopping the Docker engine started for the suite (pid $dockerd_pid)"
        bash scripts/docker-engine.sh stop "$dockerd_pid"
    fi
}
trap stop_engine EXIT
dockerd_pid="$(bash scripts/docker-engine.sh start)"

kit="${PULUMI_LOCAL_KIT:-$PWD/../shared/pulumi-local}"
if command -v pulumi >/dev/null 2>&1; then
    echo "== Pulumi CLI: $(command -v pulumi) ($(pulumi version))"
elif [ -f "$kit/build.sh" ]; then
    echo "== no pulumi on PATH: using the stand-in toolchain in $kit"
    t0=$SECONDS
    bash "$kit/build.sh"
    # shellcheck disable=SC1091
    source "$kit/env.sh"
    read -r mlflow_version postgres_tag previous_version < <(node node_modules/.bin/ts-node --transpile-only scripts/pins.ts)
    bash "$kit/standin-images.sh" "$mlflow_version" "$postgres_tag"
    bash "$kit/standin-images.sh" "$previous_version" "$postgres_tag"
    echo "== toolchain ready in $((SECONDS - t0)) s: $(pulumi version)"
else
    echo "!! the Pulumi CLI is needed: https://www.pulumi.com/docs/install/" >&2
    exit 1
fi

t0=$SECONDS
status=0
mocha --config tests/e2e/.mocharc.json "$@" || status=$?
echo "== e2e suite finished in $((SECONDS - t0)) s"
exit "$status"
