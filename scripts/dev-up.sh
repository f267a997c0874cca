#!/usr/bin/env bash
# Sets up the checkout and brings up the dev stack on the local Docker engine: MLflow on
# http://localhost:5000 with SQLite and artifacts on a Docker volume. Needs the Pulumi CLI and
# a running Docker engine. State is kept in .pulumi-state/ (a local backend); the dev stack's
# secrets passphrase is empty, which is fine for local development only.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v pulumi >/dev/null || { echo "the Pulumi CLI is needed: https://www.pulumi.com/docs/install/" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "a running Docker engine is needed (docker info failed)" >&2; exit 1; }

bash scripts/setup.sh
export PATH="$PWD/.tools/node22/node_modules/.bin:$PATH"

mkdir -p .pulumi-state
export PULUMI_BACKEND_URL="file://$PWD/.pulumi-state"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
pulumi stack select dev 2>/dev/null || pulumi stack init dev
pulumi up --stack dev "$@"
pulumi stack output --stack dev trackingUriExport
