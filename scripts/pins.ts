// The versions the end-to-end toolchain needs, read from the project's one source of pins:
// components/versions.ts (MLflow, PostgreSQL image) and tests/integration/requirements-previous.txt
// (the previous MLflow, which the upgrade tests start from).
//   ts-node --transpile-only scripts/pins.ts   prints: <mlflow> <postgres tag> <previous mlflow>
import * as fs from "fs";
import * as path from "path";
import { MLFLOW_VERSION, POSTGRES_IMAGE } from "../components/versions";

const ROOT = path.resolve(__dirname, "..");

export function previousMlflowVersion(): string {
    const text = fs.readFileSync(path.join(ROOT, "tests", "integration", "requirements-previous.txt"), "utf8");
    const m = /^mlflow(?:-skinny)?==(\S+)$/m.exec(text);
    if (!m) throw new Error("tests/integration/requirements-previous.txt pins no mlflow-skinny==X.Y.Z");
    return m[1];
}

export function postgresTag(): string {
    return POSTGRES_IMAGE.slice(POSTGRES_IMAGE.indexOf(":") + 1);
}

if (require.main === module) {
    console.log(`${MLFLOW_VERSION} ${postgresTag()} ${previousMlflowVersion()}`);
}
