#!/usr/bin/env bash
# Smoke test of one real cloud, one subcommand per step of .github/workflows/smoke.yml: a
# throwaway stack with the cheapest valid configuration of that cloud is brought up, checked
# with the project's own client check (tests/integration/client_check.py) and destroyed.
#
#   smoke.sh preflight  what is missing in GitHub, which clouds to log in to, the region
#   smoke.sh config     writes Pulumi.$STACK.yaml and validates it with the offline plan (no cloud)
#   smoke.sh init       pulumi stack init
#   smoke.sh up         pulumi up (one retry: Azure role assignments and fresh GCP APIs propagate late)
#   smoke.sh check      <url>/health, client check (log, then read back), 401 without credentials
#   smoke.sh destroy    pulumi destroy (three tries), then pulumi stack rm; fails loudly if anything is left
#
# Environment: CLOUD (aws | azure | gcp), STACK (smoke-<cloud>-<run number>-<attempt>), PULUMI_ORG
# (optional: Pulumi Cloud stacks are <org>/<stack>), REGION (config), GCP_PROJECT_ID,
# GCP_SMOKE_NETWORK and GCP_SMOKE_SUBNETWORK (preflight and config, gcp: the long-lived network the
# stack joins), SMOKE_PYTHON (check: a Python with the pinned mlflow client; default python3).
# No secret is ever put on a command line; the admin password is masked before any use.
set -euo pipefail
cd "$(dirname "$0")/../.."

in_actions() { [ "${GITHUB_ACTIONS:-}" = "true" ]; }
output() {
    echo "  $1=$2"
    if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >>"$GITHUB_OUTPUT"; fi
}
summary() {
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then printf '%s\n' "$@" >>"$GITHUB_STEP_SUMMARY"; fi
}
error() {
    if in_actions; then echo "::error title=smoke ${STACK:-}::$*"; else echo "!! $*" >&2; fi
    summary "**Error:** $*"
}
warning() {
    if in_actions; then echo "::warning title=smoke ${STACK:-}::$*"; else echo "!! $*" >&2; fi
    summary "**Warning:** $*"
}
# Registers a value with the runner's log masking (escaped as workflow command data). Outside
# GitHub Actions it prints nothing, so a local run never echoes the value.
mask() {
    local v=$1
    v=${v//'%'/'%25'}
    v=${v//$'\r'/'%0D'}
    v=${v//$'\n'/'%0A'}
    if in_actions; then echo "::add-mask::$v"; fi
}

check_cloud() {
    case "${CLOUD:-}" in
    aws | azure | gcp) ;;
    *) error "CLOUD must be aws, azure or gcp, got '${CLOUD:-}'"; exit 1 ;;
    esac
}
check_stack() {
    # Short, so every derived resource name stays within its cloud's limits (e.g. 30 characters
    # for a GCP service account id, 32 for an Azure container app).
    if ! [[ "${STACK:-}" =~ ^smoke-[a-z0-9]+(-[a-z0-9]+)*$ ]] || [ "${#STACK}" -gt 24 ]; then
        error "STACK must look like smoke-<cloud>-<run>-<attempt> (at most 24 characters), got '${STACK:-}'"
        exit 1
    fi
}
join() {
    local sep=$1 out=$2 x
    shift 2
    for x in "$@"; do out+="$sep$x"; done
    echo "$out"
}
GCP_NAME='^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$'
fqstack() {
    if [ -n "${PULUMI_ORG:-}" ]; then echo "$PULUMI_ORG/$STACK"; else echo "$STACK"; fi
}
region_pattern() {
    case "$1" in
    aws) echo '^[a-z]{2}(-[a-z]+)+-[0-9]$' ;;
    azure) echo '^[a-z][a-z0-9]+$' ;;
    gcp) echo '^[a-z]+-[a-z]+[0-9]+$' ;;
    esac
}
example_region() {
    case "$1" in
    aws) echo eu-west-1 ;;
    azure) echo westeurope ;;
    gcp) echo europe-west1 ;;
    esac
}
default_region() {
    if [ "$1" = aws ] && [ -n "${AWS_REGION:-}" ]; then echo "$AWS_REGION"; else example_region "$1"; fi
}

# --- preflight: settings present (the workflow passes only 'set' or '' for secrets), clouds, region
preflight() {
    check_cloud
    check_stack
    local missing=() problems=() aws=false azure=false gcp=false region
    case "$CLOUD" in aws) aws=true ;; azure) azure=true ;; gcp) gcp=true ;; esac
    local backend="${PULUMI_BACKEND_URL:-}"
    case "$backend" in
    "" | https://* | http://*)
        # Pulumi Cloud (or a self-hosted one): the new stack uses its secrets provider.
        [ -n "${PULUMI_ACCESS_TOKEN:-}" ] || missing+=("secret PULUMI_ACCESS_TOKEN (or variable PULUMI_BACKEND_URL)")
        ;;
    file://*) problems+=("PULUMI_BACKEND_URL is a local directory, which a runner does not keep: use Pulumi Cloud or s3://, azblob://, gs://") ;;
    *)
        # A self-managed backend: the new stack uses the passphrase secrets provider.
        case "$backend" in
        s3://*) aws=true ;;
        azblob://*) azure=true ;;
        gs://*) gcp=true ;;
        esac
        [ -n "${PULUMI_CONFIG_PASSPHRASE:-}" ] || missing+=("secret PULUMI_CONFIG_PASSPHRASE")
        ;;
    esac
    if $aws; then [ -n "${AWS_ROLE_ARN:-}" ] || missing+=("variable AWS_ROLE_ARN (environment smoke)"); fi
    if $azure; then
        [ -n "${AZURE_CLIENT_ID:-}" ] || missing+=("variable AZURE_CLIENT_ID (environment smoke)")
        [ -n "${AZURE_TENANT_ID:-}" ] || missing+=("variable AZURE_TENANT_ID")
        [ -n "${AZURE_SUBSCRIPTION_ID:-}" ] || missing+=("variable AZURE_SUBSCRIPTION_ID")
    fi
    if $gcp; then
        [ -n "${GCP_WORKLOAD_IDENTITY_PROVIDER:-}" ] || missing+=("variable GCP_WORKLOAD_IDENTITY_PROVIDER")
        [ -n "${GCP_SERVICE_ACCOUNT:-}" ] || missing+=("variable GCP_SERVICE_ACCOUNT (environment smoke)")
    fi
    if [ "$CLOUD" = gcp ]; then
        # A long-lived network: a subnetwork used by Cloud Run's Direct VPC egress cannot be
        # deleted for 1-2 hours after the service, and Cloud SQL keeps the private services
        # peering in use after the instance, so a network created by the stack would outlive the run.
        [ -n "${GCP_SMOKE_NETWORK:-}" ] || missing+=("variable GCP_SMOKE_NETWORK (a VPC with private services access)")
        [ -n "${GCP_SMOKE_SUBNETWORK:-}" ] || missing+=("variable GCP_SMOKE_SUBNETWORK (its subnetwork in the run's region)")
        local name
        for name in "${GCP_SMOKE_NETWORK:-}" "${GCP_SMOKE_SUBNETWORK:-}"; do
            if [ -n "$name" ] && ! [[ "$name" =~ $GCP_NAME ]]; then problems+=("'$name' is not a GCP network or subnetwork name"); fi
        done
    fi
    region="${INPUT_REGION:-}"
    region="${region:-$(default_region "$CLOUD")}"
    if ! [[ "$region" =~ $(region_pattern "$CLOUD") ]]; then
        problems+=("region '$region' is not a valid region name for $CLOUD (e.g. $(example_region "$CLOUD"))")
    fi
    if [ "${#missing[@]}" -gt 0 ] || [ "${#problems[@]}" -gt 0 ]; then
        local what=""
        if [ "${#missing[@]}" -gt 0 ]; then what="create $(join ", " "${missing[@]}"). "; fi
        if [ "${#problems[@]}" -gt 0 ]; then what+="$(join "; " "${problems[@]}"). "; fi
        error "smoke test of $CLOUD not configured: ${what}(README: Smoke test on a real cloud)"
        exit 1
    fi
    output aws "$aws"
    output azure "$azure"
    output gcp "$gcp"
    output region "$region"
    if [ "$CLOUD" = aws ]; then output aws-region "$region"; else output aws-region "${AWS_REGION:-eu-west-1}"; fi
    summary "## Smoke test of $CLOUD ($region): stack \`$(fqstack)\`"
}

# --- config: the cheapest valid stack of the cloud, no data protection so destroy removes everything
# shellcheck source=.github/scripts/smoke-config.sh
source .github/scripts/smoke-config.sh

# --- init / up
init() {
    check_stack
    pulumi stack init "$(fqstack)" --non-interactive
    output created true
}

up() {
    check_stack
    local fq attempt
    fq="$(fqstack)"
    for attempt in 1 2; do
        echo "== pulumi up --stack $fq (attempt $attempt)"
        if pulumi up --yes --skip-preview --non-interactive --color never --stack "$fq"; then
            summary "- \`pulumi up\`: succeeded (attempt $attempt)"
            if [ "$attempt" -gt 1 ]; then warning "pulumi up succeeded only on its second attempt (see the first attempt's errors above)"; fi
            return 0
        fi
        if [ "$attempt" -eq 1 ]; then
            warning "pulumi up failed; retrying once in 60 s (new role assignments and freshly enabled APIs can take minutes to propagate)"
            sleep 60
        fi
    done
    error "pulumi up failed twice"
    exit 1
}

# --- check
wait_healthy() {
    local url=$1 tries=${SMOKE_HEALTH_TRIES:-60} delay=${SMOKE_HEALTH_DELAY:-10} code i
    for ((i = 1; i <= tries; i++)); do
        code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url/health" || true)"
        if [ "$code" = 200 ]; then
            echo "== $url/health answered 200 (try $i)"
            return 0
        fi
        echo "   $url/health: ${code:-no answer} (try $i of $tries)"
        if [ "$i" -lt "$tries" ]; then sleep "$delay"; fi
    done
    return 1
}

# The client, with the tracking credentials exported (builtins only: never on a command line)
# and without the Pulumi secrets.
client() {
    (
        unset PULUMI_ACCESS_TOKEN PULUMI_CONFIG_PASSPHRASE
        export MLFLOW_TRACKING_URI="$url" MLFLOW_TRACKING_USERNAME="$user" MLFLOW_TRACKING_PASSWORD="$password"
        "${SMOKE_PYTHON:-python3}" tests/integration/client_check.py "$1" "$state"
    )
}

check() {
    check_stack
    local fq url user password state code search curlcfg
    fq="$(fqstack)"
    url="$(pulumi stack output url --stack "$fq")"
    user="$(pulumi stack output adminUsername --stack "$fq")"
    password="$(pulumi stack output adminPassword --stack "$fq" --show-secrets)"
    mask "$password"
    if [ -z "$url" ] || [ -z "$user" ] || [ -z "$password" ]; then
        error "the stack has no url, adminUsername or adminPassword output"
        exit 1
    fi
    url="${url%/}"
    echo "== $fq serves $url (user $user)"
    summary "- URL: $url"
    if ! wait_healthy "$url"; then
        error "$url/health did not answer 200 in time"
        exit 1
    fi
    summary "- \`/health\`: 200"

    state="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/smoke-client-$STACK.json"
    echo "== client check: log a run (params, metrics, a 5 MiB artifact)"
    client log
    echo "== client check: read it back (params, metric history, artifact bytes, proxied artifact URI)"
    client verify
    rm -f "$state"
    summary "- client check (\`tests/integration/client_check.py\` log + verify): passed"

    search="$url/api/2.0/mlflow/experiments/search?max_results=1"
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$search" || true)"
    if [ "$code" != 401 ]; then
        error "a request without credentials got HTTP ${code:-no answer}, expected 401: $search"
        exit 1
    fi
    echo "== without credentials: 401"
    # The same request with the credentials (a curl config on stdin, so not on the command line).
    curlcfg="${user}:${password}"
    curlcfg=${curlcfg//\\/\\\\}
    curlcfg=${curlcfg//\"/\\\"}
    code="$(printf 'user = "%s"\n' "$curlcfg" | curl -s -o /dev/null -w '%{http_code}' --max-time 30 -K - "$search" || true)"
    if [ "$code" != 200 ]; then
        error "the same request with the admin credentials got HTTP ${code:-no answer}, expected 200"
        exit 1
    fi
    echo "== with credentials: 200"
    summary "- without credentials: 401; with the admin credentials: 200"
}

# --- destroy: always, even after a partial up; a leftover fails the step
destroy() {
    check_stack
    local fq attempt log ok=false refresh=()
    fq="$(fqstack)"
    log="$(mktemp)"
    for attempt in 1 2 3; do
        echo "== pulumi destroy --stack $fq (attempt $attempt of 3)"
        if pulumi destroy --yes --skip-preview --non-interactive --color never --continue-on-error "${refresh[@]}" --stack "$fq" 2>&1 | tee "$log"; then
            ok=true
            break
        fi
        # An up killed by a timeout or a cancel leaves the stack locked.
        if grep -qiE 'currently locked|update is currently in progress|another update' "$log"; then
            pulumi cancel --yes --stack "$fq" || true
        fi
        # Later tries refresh first: resources already gone drop out of the state.
        refresh=(--refresh)
        if [ "$attempt" -lt 3 ]; then sleep $((attempt * ${SMOKE_DESTROY_PAUSE:-90})); fi
    done
    rm -f "$log"
    if ! $ok; then
        echo "== what the stack still holds"
        pulumi stack --stack "$fq" || true
        error "pulumi destroy of $fq failed 3 times: resources named mlflow-$STACK-... are LEFT IN THE $CLOUD ACCOUNT and the stack is kept (its config: the run's artifact smoke-stack-left-behind). Fix the cause, then: pulumi destroy --stack $fq && pulumi stack rm --stack $fq"
        exit 1
    fi
    summary "- \`pulumi destroy\`: succeeded (attempt $attempt)"
    if ! pulumi stack rm --yes --non-interactive --stack "$fq"; then
        error "pulumi destroy succeeded but pulumi stack rm $fq failed: remove the empty stack by hand"
        exit 1
    fi
    rm -f "Pulumi.$STACK.yaml"
    summary "- \`pulumi stack rm\`: done, nothing left"
}

case "${1:-}" in
preflight) preflight ;;
config) config ;;
init) init ;;
up) up ;;
check) check ;;
destroy) destroy ;;
*)
    echo "usage: $0 preflight|config|init|up|check|destroy (environment: see the header)" >&2
    exit 2
    ;;
esac
