// The offline plan's data model (what `npm run plan -- --json` prints and `--diff` reads).

export const PLAN_FORMAT = "mlflow-offline-plan/v1";

export interface PlanResource {
    /** Identity: the URN, as Pulumi would compute it (type chain of parents + name). */
    urn: string;
    type: string;
    name: string;
    /** The parent's URN, or null at the top. */
    parent: string | null;
    /** false for ComponentResources. */
    custom: boolean;
    /** Options a reviewer cares about; present only when true. */
    protect?: boolean;
    retainOnDelete?: boolean;
    read?: boolean;
    /** All inputs, secrets masked, keys sorted. */
    inputs: Record<string, unknown>;
}

export interface Plan {
    format: typeof PLAN_FORMAT;
    project: string;
    stack: string;
    /** The stack's config as run (secrets masked). */
    config: Record<string, unknown>;
    /** Packages whose resources the program registers (aws, azure-native, docker, gcp, random, ...). */
    packages: string[];
    /** Depth-first in tree order, siblings sorted by name then type. */
    resources: PlanResource[];
    outputs: Record<string, unknown>;
}

export const SECRET_MASK = "[secret]";
