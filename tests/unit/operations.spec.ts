// mlflow:gc, mlflow:backup, mlflow:alerts, mlflow:restore: what parseConfig accepts and refuses
// (each with a fix), the jobs' contracts, the Docker scheduler container under mocks, and the
// arguments of npm run backup / restore.
import * as assert from "assert";
import { parseConfig, ParseInput, SecretKey } from "../../components/config/parse";
import { DEFAULT_GC, isCron, toEventBridgeCron } from "../../components/config/operations";
import { backupJobContract, BACKUP_MOUNT, gcJobContract, schedulerContract } from "../../components/opsContract";
import { localArtifactsContract, postgresBackendContract, s3ArtifactsContract, sqliteBackendContract } from "../../components/stores/contracts";
import { parseOpsArgs } from "../../scripts/ops";
import { dockerStackConfig, refusal } from "./fixtures";
import { allStrings, isSecretValue, plainStrings, runProgram } from "./harness";

const PROVIDERS = { "aws:region": "eu-west-1", "azure-native:location": "westeurope", "gcp:project": "my-project", "gcp:region": "europe-west1" };
const CLOUD = {
    aws: { platform: "aws", backend: { type: "rds" }, artifacts: { type: "s3" } },
    azure: { platform: "azure", backend: { type: "azure-postgres" }, artifacts: { type: "azure-blob" } },
    gcp: { platform: "gcp", backend: { type: "cloudsql" }, artifacts: { type: "gcs" } },
};

function input(stack: string, raw: Record<string, unknown>, secrets: SecretKey[] = []): ParseInput {
    return { project: "mlflow", stack, raw, secretsSet: new Set(secrets), providerConfig: PROVIDERS };
}

describe("operations: gc, backups, alerts, restore", () => {
    describe("config", () => {
        it("gc is on by default on every platform (daily, runs deleted 30 days ago), false turns it off, and it can be rescheduled", () => {
            for (const raw of [{}, CLOUD.aws, CLOUD.azure, CLOUD.gcp]) {
                assert.deepStrictEqual(parseConfig(input("staging", raw)).spec.ops.gc, DEFAULT_GC);
            }
            assert.strictEqual(parseConfig(input("staging", { gc: false })).spec.ops.gc, undefined);
            assert.deepStrictEqual(parseConfig(input("staging", { gc: { schedule: "15 2 * * 0", olderThan: "7d12h" } })).spec.ops.gc, { schedule: "15 2 * * 0", olderThan: "7d12h" });
        });

        it("refuses a bad schedule or duration, each with a fix", () => {
            const m = refusal(input("staging", { gc: { schedule: "every day", olderThan: "30 days" } }));
            assert.match(m, /mlflow:gc\.schedule[\s\S]*five cron fields[\s\S]*pulumi config set --path mlflow:gc\.schedule '0 4 \* \* \*'/);
            assert.match(m, /mlflow:gc\.olderThan[\s\S]*30d, 7d12h/);
            assert.match(refusal(input("staging", { gc: { schedule: "0 4 1 * 1" } })), /a day of the month or a day of the week, not both/);
            assert.match(refusal(input("staging", { gc: { schedul: "0 4 * * *" } })), /did you mean schedule/);
            for (const bad of ["60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "5-1 * * * *", "*/0 * * * *", "* * * *"]) {
                assert.ok(!isCron(bad), bad);
            }
            for (const good of ["0 4 * * *", "*/15 * * * *", "0 0-6/2 * * 1-5", "30 3 1,15 * *"]) {
                assert.ok(isCron(good), good);
            }
        });

        it("EventBridge Scheduler's form: a ? in one day field, days of the week counted from Sunday = 1", () => {
            assert.strictEqual(toEventBridgeCron("0 4 * * *"), "cron(0 4 * * ? *)");
            assert.strictEqual(toEventBridgeCron("15 2 * * 0"), "cron(15 2 ? * 1 *)");
            assert.strictEqual(toEventBridgeCron("0 6 * * 1-5"), "cron(0 6 ? * 2-6 *)");
            assert.strictEqual(toEventBridgeCron("30 3 1,15 * *"), "cron(30 3 1,15 * ? *)");
        });

        it("backup on Docker: a host directory or the artifact store's kind of object store, a schedule and a retention count", () => {
            const dir = parseConfig(input("dev", { backup: { destination: "/srv/backups/mlflow/" } })).spec.ops.backup;
            assert.deepStrictEqual(dir, { schedule: "0 3 * * *", keep: 7, destination: "/srv/backups/mlflow", destinationKind: "directory" });
            const s3 = parseConfig(input("dev", { artifacts: { type: "s3", bucket: "team-artifacts" }, backup: { destination: "s3://team-backups/mlflow", keep: 30, schedule: "0 */6 * * *" } }, ["awsAccessKeyId", "awsSecretAccessKey"])).spec.ops.backup;
            assert.deepStrictEqual(s3, { schedule: "0 */6 * * *", keep: 30, destination: "s3://team-backups/mlflow", destinationKind: "s3" });
        });

        it("refuses a backup destination it cannot reach, backups on the clouds, and a bad retention", () => {
            assert.match(refusal(input("dev", { backup: {} })), /mlflow:backup\.destination[\s\S]*is not set[\s\S]*pulumi config set --path mlflow:backup\.destination \/srv\/backups\/mlflow/);
            assert.match(refusal(input("dev", { backup: { destination: "backups" } })), /an absolute directory on the Docker host/);
            assert.match(refusal(input("dev", { backup: { destination: "/srv/../etc" } })), /an absolute directory/);
            assert.match(refusal(input("dev", { backup: { destination: "gs://team-backups" } })), /is a gcs URI, but the artifact store is local[\s\S]*the artifact store's credentials/);
            assert.match(refusal(input("dev", { backup: { destination: "/srv/b", keep: 0 } })), /mlflow:backup\.keep[\s\S]*from 1 to 365/);
            assert.match(refusal(input("staging", { ...CLOUD.aws, backup: { destination: "/srv/b" } })), /mlflow:backup[\s\S]*only on Docker: the clouds' managed databases back themselves up[\s\S]*pulumi config rm mlflow:backup/);
        });

        it("a protected Docker stack without backups gets a warning that says how to add them", () => {
            const { warnings } = parseConfig(input("prod", {}));
            assert.ok(warnings.some((w) => /mlflow:backup is not set on a stack whose data is protected[\s\S]*pulumi config set --path mlflow:backup\.destination/.test(w)), warnings.join("\n"));
            assert.ok(!parseConfig(input("prod", { backup: { destination: "/srv/b" } })).warnings.some((w) => w.includes("mlflow:backup")));
            assert.ok(!parseConfig(input("staging", {})).warnings.some((w) => w.includes("mlflow:backup")));
        });

        it("alerts on the clouds: e-mail addresses and/or the cloud's own target, with thresholds", () => {
            const aws = parseConfig(input("staging", { ...CLOUD.aws, alerts: { email: ["ops@example.com"], target: "arn:aws:sns:eu-west-1:123456789012:oncall", cpuPercent: 90 } })).spec.ops.alerts;
            assert.deepStrictEqual(aws, { email: ["ops@example.com"], target: "arn:aws:sns:eu-west-1:123456789012:oncall", cpuPercent: 90, storagePercent: 85, errors5xx: 10 });
            const gcp = parseConfig(input("staging", { ...CLOUD.gcp, alerts: { target: "projects/my-project/notificationChannels/123" } })).spec.ops.alerts;
            assert.deepStrictEqual(gcp?.email, []);
            assert.ok(parseConfig(input("staging", { ...CLOUD.azure, alerts: { target: "/subscriptions/s/resourceGroups/rg/providers/microsoft.insights/actionGroups/oncall" } })).spec.ops.alerts);
        });

        it("refuses alerts on Docker, nobody to tell, another cloud's target and bad addresses", () => {
            assert.match(refusal(input("dev", { alerts: { email: ["ops@example.com"] } })), /mlflow:alerts[\s\S]*only on the clouds: on Docker the health checks and restart policy/);
            assert.match(refusal(input("staging", { ...CLOUD.aws, alerts: {} })), /names nobody to tell/);
            assert.match(refusal(input("staging", { ...CLOUD.aws, alerts: { target: "projects/p/notificationChannels/1" } })), /mlflow:alerts\.target[\s\S]*an SNS topic ARN/);
            assert.match(refusal(input("staging", { ...CLOUD.gcp, alerts: { email: ["not an address"] } })), /mlflow:alerts\.email[\s\S]*e-mail addresses/);
        });

        it("restore: a snapshot or a point in time on AWS, a point in time on Azure, a backup or a point in time on GCP", () => {
            const ok = (raw: Record<string, unknown>, restore: unknown) => parseConfig(input("staging", { ...raw, restore })).spec.ops.restore;
            assert.deepStrictEqual(ok(CLOUD.aws, { type: "snapshot", snapshot: "mlflow-prod-final" }), { type: "snapshot", snapshot: "mlflow-prod-final" });
            assert.deepStrictEqual(ok(CLOUD.aws, { type: "pointInTime", source: "mlflow-prod-db" }), { type: "pointInTime", source: "mlflow-prod-db", time: "latest" });
            const server = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/mlflow-prod-pg";
            assert.deepStrictEqual(ok(CLOUD.azure, { type: "pointInTime", source: server, time: "2026-11-30T12:00:00Z" }), { type: "pointInTime", source: server, time: "2026-11-30T12:00:00Z" });
            const gcp = parseConfig(input("staging", { ...CLOUD.gcp, restore: { type: "backup", source: "mlflow-prod-sql", backupId: "1733000000000" } }, ["dbPassword"])).spec.ops.restore;
            assert.deepStrictEqual(gcp, { type: "backup", source: "mlflow-prod-sql", backupId: "1733000000000" });
        });

        it("refuses a restore the platform cannot do, or with fields of another kind, each with a fix", () => {
            assert.match(refusal(input("staging", { ...CLOUD.azure, restore: { type: "snapshot", snapshot: "x" } })), /mlflow:restore\.type[\s\S]*on azure: pointInTime/);
            assert.match(refusal(input("staging", { ...CLOUD.azure, restore: { type: "pointInTime", source: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/a" } })), /mlflow:restore\.time[\s\S]*Azure restores to a given time/);
            assert.match(refusal(input("staging", { ...CLOUD.aws, restore: { type: "pointInTime", source: "db", time: "yesterday" } })), /a UTC time such as 2026-11-30T12:00:00Z, or "latest"/);
            assert.match(refusal(input("staging", { ...CLOUD.aws, restore: { type: "snapshot", snapshot: "s", time: "latest" } })), /mlflow:restore\.time[\s\S]*is set with restore\.type snapshot[\s\S]*pulumi config rm --path mlflow:restore\.time/);
            assert.match(refusal(input("staging", { ...CLOUD.gcp, restore: { type: "backup", source: "mlflow-prod-sql" } }, ["dbPassword"])), /mlflow:restore\.backupId[\s\S]*is not set/);
            assert.match(refusal(input("staging", { ...CLOUD.gcp, restore: { type: "pointInTime", source: "mlflow-prod-sql" } })), /mlflow:dbPassword[\s\S]*the restored instance keeps the source's users[\s\S]*pulumi config set --secret mlflow:dbPassword/);
            assert.match(refusal(input("staging", { ...CLOUD.aws, backend: { type: "postgres", mode: "external" }, restore: { type: "snapshot", snapshot: "s" } }, ["postgresUrl"])), /only with the managed database \(rds\)/);
            assert.match(refusal(input("dev", { restore: { type: "snapshot", snapshot: "s" } })), /on Docker restore a backup with npm run restore/);
        });
    });

    describe("contracts", () => {
        const sqlite = sqliteBackendContract({ type: "sqlite", path: "/mlflow/mlflow.db" });
        const local = localArtifactsContract("/mlflow/artifacts", "dev");

        it("gc: the entrypoint's --gc with the schedule and age from config; the database URI and store keys only as secrets", () => {
            const { spec } = parseConfig(input("staging", { artifacts: { type: "s3", bucket: "team-artifacts" }, gc: { olderThan: "14d" } }, ["awsAccessKeyId", "awsSecretAccessKey"]));
            const artifacts = s3ArtifactsContract({ bucket: "team-artifacts", prefix: "staging", credentials: { accessKeyId: "AKIAKEY", secretAccessKey: "s3cret" } });
            const backend = postgresBackendContract({ host: "db", port: 5432, user: "mlflow", password: "pw", database: "mlflow", authDatabase: "mlflow_auth" });
            const job = gcJobContract({ spec, backend, artifacts })!;
            assert.deepStrictEqual(job.args, ["--gc"]);
            assert.strictEqual(job.schedule, "0 4 * * *");
            assert.strictEqual(job.env.MLFLOW_DEPLOY_GC_OLDER_THAN, "14d");
            assert.strictEqual(job.env.MLFLOW_DEPLOY_ARTIFACTS_DESTINATION, "s3://team-artifacts/staging");
            assert.deepStrictEqual(Object.keys(job.secretEnv).sort(), ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "MLFLOW_BACKEND_STORE_URI"]);
            assert.ok(!Object.values(job.env).some((v) => /pw@|s3cret/.test(String(v))));
            assert.strictEqual(gcJobContract({ spec: parseConfig(input("staging", { gc: false })).spec, backend, artifacts }), undefined);
        });

        it("backup: every database the server uses (as secrets), the local artifacts, the destination as mounted", () => {
            const { spec } = parseConfig(input("staging", { backup: { destination: "/srv/b", keep: 3 } }));
            const job = backupJobContract({ spec, backend: sqlite, artifacts: local })!;
            assert.deepStrictEqual(job.args, ["--backup"]);
            assert.deepStrictEqual(Object.keys(job.secretEnv).sort(), ["MLFLOW_AUTH_DATABASE_URI", "MLFLOW_BACKEND_STORE_URI"], "auth is on on staging: its database too");
            assert.strictEqual(job.env.MLFLOW_DEPLOY_BACKUP_DESTINATION, BACKUP_MOUNT);
            assert.strictEqual(job.env.MLFLOW_DEPLOY_BACKUP_KEEP, "3");
            assert.strictEqual(job.env.MLFLOW_DEPLOY_LOCAL_ARTIFACTS, "/mlflow/artifacts");
            const none = parseConfig(input("dev", {})).spec;
            assert.strictEqual(backupJobContract({ spec: none, backend: sqlite, artifacts: local }), undefined);
            const scheduler = schedulerContract({ spec, backend: sqlite, artifacts: local })!;
            assert.deepStrictEqual(scheduler.args, ["--scheduler"]);
            assert.strictEqual(scheduler.env.MLFLOW_DEPLOY_SCHEDULE_GC, "0 4 * * *");
            assert.strictEqual(scheduler.env.MLFLOW_DEPLOY_SCHEDULE_BACKUP, "0 3 * * *");
            assert.strictEqual(schedulerContract({ spec: parseConfig(input("dev", { gc: false })).spec, backend: sqlite, artifacts: local }), undefined);
        });
    });

    describe("Docker under mocks", function () {
        this.timeout(60000);

        it("the scheduler container: the server's image, volume, network and secrets (as files), the destination bind-mounted, published nowhere, after the server", async () => {
            const run = await runProgram("staging", { ...dockerStackConfig("staging"), "mlflow:dbPassword": "db-pass-word-123", "mlflow:backup": { destination: "/srv/backups/mlflow" } }, ["mlflow:dbPassword"]);
            const containers = run.byType("docker:index/container:Container");
            const ops = containers.find((c) => c.inputs.name === "mlflow-staging-ops")!;
            const server = containers.find((c) => c.inputs.name === "mlflow-staging-server")!;
            assert.deepStrictEqual(ops.inputs.command, ["--scheduler"]);
            assert.strictEqual(ops.inputs.image, server.inputs.image);
            assert.deepStrictEqual(ops.inputs.ports ?? [], []);
            assert.deepStrictEqual(ops.inputs.volumes, [{ volumeName: "mlflow-staging-data", containerPath: "/mlflow" }, { hostPath: "/srv/backups/mlflow", containerPath: "/backups" }]);
            assert.deepStrictEqual((ops.inputs.healthcheck as { tests: string[] }).tests, ["CMD", "python", "/opt/mlflow-deploy/entrypoint.py", "--ops-health"]);
            assert.strictEqual(ops.inputs.restart, "unless-stopped");
            assert.ok(isSecretValue(ops.inputs.uploads), "the secret files are secrets");
            const uploads = (ops.inputs.uploads as { value: { file: string }[] }).value;
            assert.deepStrictEqual(uploads.map((u) => u.file).sort(), ["/run/secrets/mlflow/MLFLOW_AUTH_DATABASE_URI", "/run/secrets/mlflow/MLFLOW_BACKEND_STORE_URI"]);
            assert.ok(!plainStrings(ops.inputs).some((s) => s.includes("db-pass-word-123")), "no database password in plain inputs");
            assert.ok(allStrings(ops.inputs.envs).includes("MLFLOW_DEPLOY_SCHEDULE_BACKUP=0 3 * * *"));
            assert.deepStrictEqual(JSON.parse(String(run.outputs.containers)), { server: "mlflow-staging-server", ops: "mlflow-staging-ops" });
        });

        it("with gc off and no backups: no scheduler container", async () => {
            const run = await runProgram("dev", { ...dockerStackConfig("dev"), "mlflow:gc": false });
            assert.deepStrictEqual(run.byType("docker:index/container:Container").map((c) => c.inputs.name), ["mlflow-dev-server"]);
            assert.deepStrictEqual(JSON.parse(String(run.outputs.containers)), { server: "mlflow-dev-server" });
        });
    });

    describe("npm run backup / restore arguments", () => {
        it("reads --stack, --from and --list, and refuses what it cannot do", () => {
            assert.deepStrictEqual(parseOpsArgs(["restore", "--stack", "dev", "--from", "latest"]), { command: "restore", stack: "dev", from: "latest", list: false });
            assert.deepStrictEqual(parseOpsArgs(["restore", "-s", "dev", "--list"]), { command: "restore", stack: "dev", list: true });
            assert.deepStrictEqual(parseOpsArgs(["backup", "--stack", "prod"]), { command: "backup", stack: "prod", list: false });
            assert.throws(() => parseOpsArgs(["restore", "--stack", "dev"]), /needs --from/);
            assert.throws(() => parseOpsArgs(["restore", "--from", "latest"]), /--stack is required/);
            assert.throws(() => parseOpsArgs(["restore", "--stack", "dev", "--from", "../../etc"]), /a backup's name/);
            assert.throws(() => parseOpsArgs(["backup", "--stack", "dev", "--from", "latest"]), /backup takes only --stack/);
        });
    });
});
