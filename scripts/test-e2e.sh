#!/usr/bin/env bash
# npm run test:e2e: the end-to-end suite (tests/e2e) through a real Pulumi engine and a real
# Docker engine. It finds or makes what it needs:
#   - the Docker engine (scripts/docker-engine.sh): started here only if `docker info` fails, and
#     then stopped again at the end;
#   - the Pulumi CLI (scripts/e2e-toolchain.sh): a `pulumi` on PATH is used as it is; without one,
#     the stand-in toolchain in ../shared/pulumi-local is built and used.
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

kit="$(bash scripts/e2e-toolchain.sh)"
if [ -n "$kit" ]; then
    # shellcheck disable=SC1091
    source "$kit/env.sh"
    echo "== using the stand-in toolchain: $(command -v pulumi) ($(pulumi version))"
fi

t0=$SECONDS
status=0
mocha --config tests/e2e/.mocharc.json "$@" || status=$?
echo "== e2e suite finished in $((SECONDS - t0)) s"
exit "$status"
