#!/usr/bin/env bash
# Sets up the checkout and brings up the dev stack on the local Docker engine: MLflow on
# http://localhost:5000 with SQLite and artifacts on a Docker volume. Needs the Pulumi CLI and
# a running Docker engine. Arguments go to `pulumi up` (npm run dev -- --yes).
#
# State is kept in a local backend, .pulumi-state/; the dev stack's secrets passphrase is empty
# unless PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE is set (empty is fine for local
# development only).
# Optional environment, for a second local stack beside dev (the end-to-end tests use them):
#   MLFLOW_DEV_STACK  stack name (default dev); Pulumi.<name>.yaml is copied from Pulumi.dev.yaml when missing
#   MLFLOW_DEV_STATE  state directory (default .pulumi-state)
#   MLFLOW_DEV_PORT   host port (sets mlflow:port on the stack; default 5000 from Pulumi.dev.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v pulumi >/dev/null || { echo "the Pulumi CLI is needed: https://www.pulumi.com/docs/install/" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "a running Docker engine is needed (docker info failed)" >&2; exit 1; }

bash scripts/setup.sh
export PATH="$PWD/.tools/node22/node_modules/.bin:$PATH"

stack="${MLFLOW_DEV_STACK:-dev}"
state="${MLFLOW_DEV_STATE:-$PWD/.pulumi-state}"
mkdir -p "$state"
state="$(cd "$state" && pwd)"
export PULUMI_BACKEND_URL="file://$state"
if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    export PULUMI_CONFIG_PASSPHRASE=""
fi
if [ ! -f "Pulumi.$stack.yaml" ]; then
    cp Pulumi.dev.yaml "Pulumi.$stack.yaml"
fi
pulumi stack select "$stack" 2>/dev/null || pulumi stack init "$stack"
if [ -n "${MLFLOW_DEV_PORT:-}" ]; then
    pulumi config set --stack "$stack" mlflow:port "$MLFLOW_DEV_PORT"
fi
pulumi up --stack "$stack" "$@"
pulumi stack output --stack "$stack" trackingUriExport
