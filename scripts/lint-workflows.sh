#!/usr/bin/env bash
# Lints the GitHub Actions workflows with actionlint, a pinned version built from the Go module
# proxy into .tools/bin (scripts/setup.sh installs it; this script installs it when missing).
#   bash scripts/lint-workflows.sh            install if needed, then lint .github/workflows
#   bash scripts/lint-workflows.sh --install  install only
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION=v1.7.12
BIN="$PWD/.tools/bin/actionlint"

install() {
    if [ -x "$BIN" ] && [ "$("$BIN" -version | head -n1)" = "$ACTIONLINT_VERSION" ]; then
        return 0
    fi
    local go
    go="$(command -v go || true)"
    if [ -z "$go" ] && [ -x /usr/local/go/bin/go ]; then
        go=/usr/local/go/bin/go
    fi
    if [ -z "$go" ]; then
        echo "!! actionlint $ACTIONLINT_VERSION is built with Go, and no 'go' was found (PATH or /usr/local/go/bin)." >&2
        echo "   Install Go 1.24+ from https://go.dev/dl/ (or apt-get install golang-go), then rerun: npm run lint:workflows" >&2
        exit 1
    fi
    echo "== installing actionlint $ACTIONLINT_VERSION into .tools/bin ($("$go" version))"
    mkdir -p .tools/bin .tools/go
    GOBIN="$PWD/.tools/bin" GOPATH="$PWD/.tools/go" GOCACHE="$PWD/.tools/go/cache" GOFLAGS=-modcacherw \
        "$go" install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
}

install
if [ "${1:-}" = "--install" ]; then
    exit 0
fi
echo "== actionlint $ACTIONLINT_VERSION on .github/workflows"
# (actionlint also checks run: scripts with shellcheck and pyflakes when they are on PATH.)
"$BIN" -no-color .github/workflows/*.yml
if command -v shellcheck >/dev/null; then
    echo "== shellcheck on .github/scripts"
    shellcheck -x .github/scripts/*.sh
else
    echo "!! shellcheck not found (apt-get install shellcheck): the workflows' scripts were not checked" >&2
fi
echo "== workflows lint clean"
