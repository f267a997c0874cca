// Every version the deployment pins, in one place. The MLflow version must match the
// `mlflow==` line of components/image/requirements.txt (a unit test checks it).
export const MLFLOW_VERSION = "3.17.2";

// The oldest MLflow the program supports: the Host-header check and the
// MLFLOW_AUTH_ADMIN_* variables it relies on exist from here on.
export const MIN_MLFLOW_MINOR = 5;

export const MLFLOW_BASE_IMAGE = "ghcr.io/mlflow/mlflow";

// PostgreSQL container run beside MLflow on Docker (backend `postgres`, mode `container`).
export const POSTGRES_IMAGE = "postgres:17.6-bookworm";

// Amazon RDS for PostgreSQL: the major version is pinned; RDS applies minor versions in the
// maintenance window (autoMinorVersionUpgrade), never a major upgrade.
export const RDS_POSTGRES_MAJOR = "17";
