#!/usr/bin/env bash
# Makes the Pulumi engine the end-to-end suite needs ready, printing the directory to put first on
# PATH (empty when a `pulumi` is already on PATH, which is then used as it is).
# Without one, it builds the stand-in toolchain in ../shared/pulumi-local (or $PULUMI_LOCAL_KIT),
# and builds the base images it cannot pull for the pinned versions (scripts/pins.ts). Everything
# is cached: a second call takes about a second. Progress goes to stderr.
# Needs a running Docker engine (scripts/docker-engine.sh start) for the images.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node22/node_modules/.bin:$PATH"

if command -v pulumi >/dev/null 2>&1; then
    echo "== Pulumi CLI: $(command -v pulumi) ($(pulumi version))" >&2
    exit 0
fi
kit="${PULUMI_LOCAL_KIT:-$PWD/../shared/pulumi-local}"
if [ ! -f "$kit/build.sh" ]; then
    echo "!! the Pulumi CLI is needed: https://www.pulumi.com/docs/install/" >&2
    exit 1
fi
kit="$(cd "$kit" && pwd)"
t0=$SECONDS
echo "== no pulumi on PATH: building the stand-in toolchain in $kit" >&2
bash "$kit/build.sh" >&2
read -r mlflow_version postgres_tag previous_version < <(node node_modules/.bin/ts-node --transpile-only scripts/pins.ts)
bash "$kit/standin-images.sh" "$mlflow_version" "$postgres_tag" >&2
bash "$kit/standin-images.sh" "$previous_version" "$postgres_tag" >&2
echo "== stand-in toolchain ready in $((SECONDS - t0)) s" >&2
echo "$kit"
