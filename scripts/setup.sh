#!/usr/bin/env bash
# One-time setup of a checkout: Node 22 (from the npm registry, under .tools/), the npm
# packages (exact pins from package-lock.json), PostgreSQL and Chromium for the integration
# tests (Debian packages, when run as root and missing), the Python virtualenv (.venv) with
# the server's pinned requirements plus the store emulators, and actionlint (built with Go,
# when Go is there).
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=22.23.3
if [ ! -x .tools/node22/node_modules/.bin/node ] || [ "$(.tools/node22/node_modules/.bin/node --version)" != "v$NODE_VERSION" ]; then
    echo "== installing Node $NODE_VERSION into .tools/node22"
    npm install --prefix .tools/node22 --no-audit --no-fund --no-save "node@$NODE_VERSION" >/dev/null
fi
export PATH="$PWD/.tools/node22/node_modules/.bin:$PATH"
echo "== node $(node --version), npm $(npm --version)"

# npm ci deletes and reinstalls node_modules every time (minutes with the cloud SDKs): skip it
# when node_modules was installed from this very lockfile by this Node version.
stamp="node_modules/.setup-stamp"
want="$(node --version) $(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "== node_modules matches package-lock.json (npm ci skipped)"
elif [ -L node_modules ]; then
    # A copy of the checkout that links the checkout's node_modules (the end-to-end workspace):
    # npm ci here would empty the checkout's own. Install there instead.
    echo "!! node_modules is a link to $(readlink -f node_modules) and does not match package-lock.json: run npm run setup in that checkout" >&2
    exit 1
else
    echo "== npm ci"
    npm ci --no-audit --no-fund
    echo "$want" >"$stamp"
fi

# A Debian package the tests need: installed when run as root, else named.
apt_updated=""
debian_package() { # package, what it is for
    if [ "$(id -u)" = 0 ]; then
        echo "== installing $1 (Debian package) for $2"
        [ -n "$apt_updated" ] || { apt-get update -qq && apt_updated=1; }
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
    else
        echo "!! $1 not found: sudo apt-get install $1 (needed by $2)"
    fi
}
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || debian_package postgresql "the integration tests"
[ -x /usr/bin/chromium ] || debian_package chromium "the single sign-on integration test"
command -v shellcheck >/dev/null || debian_package shellcheck "the workflow lint (the workflows' scripts)"
# Without a pulumi on PATH the end-to-end suite builds stand-in base images (scripts/e2e-toolchain.sh).
command -v pulumi >/dev/null || command -v debootstrap >/dev/null || debian_package debootstrap "the stand-in base images of the end-to-end tests"

if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv"
    python3 -m venv .venv
fi
echo "== pip install (server requirements + emulators)"
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/integration/requirements.txt

# The previous MLflow minor, which writes the old-schema database of the upgrade test.
if [ ! -x .tools/mlflow-previous/bin/python ]; then
    echo "== creating .tools/mlflow-previous"
    python3 -m venv .tools/mlflow-previous
fi
echo "== pip install (previous MLflow for the upgrade test)"
.tools/mlflow-previous/bin/pip install --quiet --disable-pip-version-check -r tests/integration/requirements-previous.txt
if command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ]; then
    bash scripts/lint-workflows.sh --install
else
    echo "!! Go not found: actionlint (npm run lint:workflows, part of .ci/run) needs it; https://go.dev/dl/"
fi
echo "== setup done"
