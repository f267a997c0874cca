#!/usr/bin/env bash
# Offline plans of a pull request: for each stack, the base branch's plan and the PR's plan (each
# computed by its own checkout's `npm run plan`, under mocks, no credentials), their diff and the
# PR's tree, written to OUT for the comment step. Never fails on a stack's error: it is reported.
#   .github/scripts/plan-pr.sh <base-checkout> <out-dir> <stack>...
set -uo pipefail
base=$1
out=$2
shift 2
mkdir -p "$out"

for stack in "$@"; do
    echo "== $stack"
    if [ ! -f "Pulumi.$stack.yaml" ]; then
        echo "no Pulumi.$stack.yaml in this pull request" >"$out/$stack.error.txt"
        continue
    fi
    if ! npm run --silent plan -- --stack "$stack" --json --out "$out/$stack.head.json" 2>"$out/$stack.head.log"; then
        cp "$out/$stack.head.log" "$out/$stack.error.txt"
        rm -f "$out/$stack.head.json"
        continue
    fi
    npm run --silent plan -- --stack "$stack" --out "$out/$stack.tree.txt" 2>/dev/null
    # The base branch's own plan tool runs the base branch's program. A base that predates the
    # tool (or whose plan fails) gives no base plan: the diff then shows everything as added.
    if [ -f "$base/scripts/plan/cli.ts" ] && [ -f "$base/Pulumi.$stack.yaml" ]; then
        (cd "$base" && npm run --silent plan -- --stack "$stack" --json --out "$out/$stack.base.json") 2>"$out/$stack.base.log" ||
            rm -f "$out/$stack.base.json"
    fi
    npm run --silent plan:diff -- "$out/$stack.base.json" "$out/$stack.head.json" --out "$out/$stack.diff.txt"
    cat "$out/$stack.diff.txt"
done
exit 0
