#!/usr/bin/env bash
# The `config` step of .github/scripts/smoke.sh (sourced by it): writes Pulumi.$STACK.yaml, the
# cheapest valid configuration of $CLOUD, and validates it with the offline plan (no cloud).
config() {
    check_cloud
    check_stack
    local region="${REGION:-}" file="Pulumi.$STACK.yaml"
    if ! [[ "$region" =~ $(region_pattern "$CLOUD") ]]; then
        error "REGION '$region' is not a valid region name for $CLOUD"
        exit 1
    fi
    local project="${GCP_PROJECT_ID:-}" network="${GCP_SMOKE_NETWORK:-}" subnetwork="${GCP_SMOKE_SUBNETWORK:-}"
    if [ "$CLOUD" = gcp ]; then
        if ! [[ "$project" =~ ^[a-z][a-z0-9-]{4,28}[a-z0-9]$ ]]; then
            error "no valid GCP project id (variable GCP_PROJECT, or the project of GCP_SERVICE_ACCOUNT), got '$project'"
            exit 1
        fi
        if ! [[ "$network" =~ $GCP_NAME ]] || ! [[ "$subnetwork" =~ $GCP_NAME ]]; then
            error "GCP_SMOKE_NETWORK and GCP_SMOKE_SUBNETWORK must name the smoke network and its subnetwork, got '$network' and '$subnetwork'"
            exit 1
        fi
    fi
    {
        echo "# Smoke test stack of .github/workflows/smoke.yml: created, checked and destroyed by one run."
        echo "config:"
        case "$CLOUD" in
        aws)
            cat <<EOF
  aws:region: $region
  mlflow:platform: aws
  mlflow:auth: true
  mlflow:protectData: false
  mlflow:backend:
    type: rds
    instanceClass: db.t4g.micro
    allocatedStorageGb: 20
    multiAz: false
    backupRetentionDays: 1
  mlflow:artifacts:
    type: s3
  mlflow:aws:
    desiredCount: 1
    minCount: 1
    maxCount: 1
    logRetentionDays: 1
    allowInsecureHttp: true
EOF
            ;;
        azure)
            cat <<EOF
  azure-native:location: $region
  mlflow:platform: azure
  mlflow:auth: true
  mlflow:protectData: false
  mlflow:backend:
    type: azure-postgres
    skuName: Standard_B1ms
    storageGb: 32
    backupRetentionDays: 7
    geoRedundantBackup: false
    highAvailability: false
  mlflow:artifacts:
    type: azure-blob
  mlflow:azure:
    minReplicas: 0
    maxReplicas: 1
    zoneRedundant: false
    logRetentionDays: 30
EOF
            ;;
        gcp)
            cat <<EOF
  gcp:project: $project
  gcp:region: $region
  mlflow:platform: gcp
  mlflow:auth: true
  mlflow:protectData: false
  mlflow:backend:
    type: cloudsql
    tier: db-f1-micro
    diskGb: 10
    highAvailability: false
    backups: false
    pointInTimeRecovery: false
  mlflow:artifacts:
    type: gcs
    location: $region
  mlflow:gcp:
    access: public
    minInstances: 0
    maxInstances: 1
    network: $network
    subnetwork: $subnetwork
EOF
            ;;
        esac
    } >"$file"
    echo "== $file"
    cat "$file"
    # The program validates the config under mocks before anything is created.
    local plan
    plan="$(mktemp)"
    if ! npm run --silent plan -- --stack "$STACK" --out "$plan"; then
        error "the offline plan refuses the smoke config of $CLOUD (see the log): nothing was created"
        exit 1
    fi
    cat "$plan"
    summary "<details><summary>Config and offline plan</summary>" "" '```yaml' "$(cat "$file")" '```' "" '```text' "$(cat "$plan")" '```' "</details>" ""
    rm -f "$plan"
}
