// Day-2 operations on GCP under Pulumi mocks: mlflow:gc as a Cloud Run job that Cloud Scheduler
// starts as an invoker of that job alone, mlflow:restore as Cloud SQL's restore or clone, and
// mlflow:alerts as notification channels, an uptime check and alert policies.
import * as assert from "assert";
import { restoreInputs } from "../../components/backend/cloudSql";
import { parseConfig } from "../../components/config/parse";
import { uptimeCheckAuth } from "../../components/platform/gcp/alerts";
import { gcpNames, requiredApis } from "../../components/platform/gcp/facts";
import { runJobUri } from "../../components/platform/gcp/gcJob";
import { RESOURCE_POLICIES } from "../../policy/rules";
import { allStrings, isSecretValue, plainStrings, ProgramRun, RegisteredResource, runProgram } from "./harness";

const PROJECT = "acme-ml-123";
const REGION = "europe-west1";
const DB_PASSWORD = "gc-db p@ss:w/rd?#%& 9";
const ADMIN_PASSWORD = "Ops-admin pass:/?#%&";
const SECRET_KEYS = ["mlflow:adminPassword", "mlflow:dbPassword", "mlflow:postgresUrl"];
const SOURCE = "mlflow-prod-pg-k3x9q2ab";

const T = {
    job: "gcp:cloudrunv2/job:Job",
    jobIam: "gcp:cloudrunv2/jobIamMember:JobIamMember",
    schedule: "gcp:cloudscheduler/job:Job",
    service: "gcp:cloudrunv2/service:Service",
    serviceIam: "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
    account: "gcp:serviceaccount/account:Account",
    secretIam: "gcp:secretmanager/secretIamMember:SecretIamMember",
    api: "gcp:projects/service:Service",
    sql: "gcp:sql/databaseInstance:DatabaseInstance",
    user: "gcp:sql/user:User",
    database: "gcp:sql/database:Database",
    secretVersion: "gcp:secretmanager/secretVersion:SecretVersion",
    channel: "gcp:monitoring/notificationChannel:NotificationChannel",
    policy: "gcp:monitoring/alertPolicy:AlertPolicy",
    uptime: "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig",
};

function gcpConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        "mlflow:platform": "gcp",
        "gcp:project": PROJECT,
        "gcp:region": REGION,
        "mlflow:backend": { type: "cloudsql" },
        "mlflow:artifacts": { type: "gcs" },
        "mlflow:adminPassword": ADMIN_PASSWORD,
        "mlflow:dbPassword": DB_PASSWORD,
        ...extra,
    };
}

interface Env {
    name: string;
    value?: string;
    valueSource?: { secretKeyRef: { secret: string; version: string } };
}

interface JobInputs {
    name: string;
    location: string;
    deletionProtection: boolean;
    template: {
        taskCount: number;
        parallelism: number;
        template: {
            serviceAccount: string;
            timeout: string;
            maxRetries: number;
            vpcAccess?: unknown;
            containers: { image: string; commands?: string[]; args: string[]; envs: Env[]; resources: { limits: Record<string, string> } }[];
        };
    };
}

function jobOf(run: ProgramRun): JobInputs {
    return run.one(T.job).inputs as unknown as JobInputs;
}

function serviceTemplate(run: ProgramRun): { serviceAccount: string; vpcAccess?: unknown; containers: { image: string; envs: Env[] }[] } {
    return run.one(T.service).inputs.template as never;
}

const sa = (id: string) => `${id}@${PROJECT}.iam.gserviceaccount.com`;

/** The alert policies by the key in their resource name (`mlflow-<stack>-alerts-<key>`). */
function policies(run: ProgramRun, stack: string): Record<string, Record<string, any>> {
    const prefix = `mlflow-${stack}-alerts-`;
    return Object.fromEntries(run.byType(T.policy).map((p) => [p.name.slice(prefix.length), p.inputs as Record<string, any>]));
}

function threshold(policy: Record<string, any>): Record<string, any> {
    assert.strictEqual(policy.conditions.length, 1);
    return policy.conditions[0].conditionThreshold;
}

function assertFilter(filter: string, terms: Record<string, string>): void {
    for (const [k, v] of Object.entries(terms)) {
        assert.ok(filter.includes(`${k}="${v}"`), `${k}="${v}" not in ${filter}`);
    }
}

const ALERTS = { email: ["ml-team@example.com", "oncall@example.com"], target: `projects/${PROJECT}/notificationChannels/987654321` };

describe("GCP operations under mocks", function () {
    this.timeout(180000);

    describe("mlflow:gc: a Cloud Run job that Cloud Scheduler starts", () => {
        let prod: ProgramRun;
        before(async () => {
            prod = await runProgram("prod", gcpConfig(), SECRET_KEYS);
        });

        it("the job runs the server's image with --gc, as the server's account, on the server's network path, sized for one MLflow CLI process", () => {
            const job = jobOf(prod);
            const service = serviceTemplate(prod);
            assert.strictEqual(job.name, "mlflow-prod-gc");
            assert.strictEqual(job.location, REGION);
            assert.strictEqual(job.deletionProtection, false, "a job holds no data; destroy must not stop on it");
            assert.deepStrictEqual([job.template.taskCount, job.template.parallelism], [1, 1]);
            const t = job.template.template;
            assert.strictEqual(t.serviceAccount, sa("mlflow-prod-server"));
            assert.strictEqual(t.serviceAccount, service.serviceAccount);
            assert.deepStrictEqual(t.vpcAccess, service.vpcAccess);
            assert.deepStrictEqual(t.vpcAccess, { egress: "PRIVATE_RANGES_ONLY", networkInterfaces: [{ network: "mlflow-prod-vpc", subnetwork: "mlflow-prod-run-egress" }] });
            assert.strictEqual(t.timeout, "3600s");
            assert.strictEqual(t.maxRetries, 1);
            assert.strictEqual(t.containers.length, 1);
            const c = t.containers[0];
            assert.strictEqual(c.image, service.containers[0].image);
            assert.strictEqual(c.commands, undefined, "the image's own entrypoint");
            assert.deepStrictEqual(c.args, ["--gc"]);
            assert.deepStrictEqual(c.resources.limits, { cpu: "1", memory: "1Gi" });
        });

        it("plain settings in plain env; the database URI only as the server's own Secret Manager reference", () => {
            const envs = jobOf(prod).template.template.containers[0].envs;
            const plain = Object.fromEntries(envs.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
            assert.strictEqual(plain.MLFLOW_DEPLOY_GC_OLDER_THAN, "30d");
            assert.strictEqual(plain.MLFLOW_DEPLOY_ARTIFACTS_DESTINATION, "gs://mlflow-prod-artifacts-k3x9q2ab/prod");
            const secret = envs.filter((e) => e.valueSource);
            assert.deepStrictEqual(secret.map((e) => e.name), ["MLFLOW_BACKEND_STORE_URI"]);
            for (const e of secret) assert.strictEqual(e.value, undefined);
            const serverRef = serviceTemplate(prod).containers[0].envs.find((e) => e.name === "MLFLOW_BACKEND_STORE_URI")!.valueSource;
            assert.deepStrictEqual(secret[0].valueSource, serverRef);
            assert.deepStrictEqual(serverRef, { secretKeyRef: { secret: "mlflow-prod-mlflow-backend-store-uri", version: "1" } });
            // That secret is readable by the account the job runs as.
            const grant = prod.byType(T.secretIam).find((g) => g.inputs.secretId === "mlflow-prod-mlflow-backend-store-uri");
            assert.strictEqual(grant?.inputs.member, `serviceAccount:${sa("mlflow-prod-server")}`);
            // No secret anywhere in the job's or the schedule's plain inputs.
            const uri = allStrings(prod.byType(T.secretVersion).find((v) => v.name.includes("backend-store-uri"))!.inputs.secretData)[0];
            for (const r of [prod.one(T.job), prod.one(T.schedule)]) {
                for (const s of plainStrings(r.inputs)) {
                    for (const secretValue of [uri, DB_PASSWORD, encodeURIComponent(DB_PASSWORD), ADMIN_PASSWORD]) {
                        assert.ok(!s.includes(secretValue), `${r.type} shows a secret`);
                    }
                }
            }
            // The policy pack reads the job's containers too.
            for (const policy of RESOURCE_POLICIES) {
                const found: string[] = [];
                const validate = policy.validateResource as (a: unknown, report: (m: string) => void) => void;
                validate({ type: T.job, props: prod.one(T.job).inputs, urn: `urn:pulumi:prod::mlflow::${T.job}::gc`, opts: {} }, (m) => found.push(m));
                assert.deepStrictEqual(found, [], policy.name);
            }
        });

        it("Cloud Scheduler POSTs the job's :run on the schedule in UTC with an OAuth token of its own invoker account", () => {
            const s = prod.one(T.schedule).inputs as Record<string, any>;
            assert.strictEqual(s.schedule, "0 4 * * *");
            assert.strictEqual(s.timeZone, "Etc/UTC");
            assert.strictEqual(s.region, REGION);
            assert.strictEqual(s.httpTarget.httpMethod, "POST");
            assert.strictEqual(s.httpTarget.uri, `https://run.googleapis.com/v2/projects/${PROJECT}/locations/${REGION}/jobs/mlflow-prod-gc:run`);
            assert.strictEqual(s.httpTarget.uri, runJobUri(PROJECT, REGION, jobOf(prod).name));
            assert.deepStrictEqual(s.httpTarget.oauthToken, { serviceAccountEmail: sa("mlflow-prod-gc-invoker"), scope: "https://www.googleapis.com/auth/cloud-platform" });
            assert.strictEqual(s.httpTarget.oidcToken, undefined, "the Admin API takes an OAuth access token");
            assert.ok(prod.byType(T.api).some((a) => a.inputs.service === "cloudscheduler.googleapis.com"));
        });

        it("the invoker account may run this one job and nothing else", () => {
            const accounts = prod.byType(T.account).map((a) => a.inputs.accountId).sort();
            assert.deepStrictEqual(accounts, ["mlflow-prod-gc-invoker", "mlflow-prod-server"]);
            const member = `serviceAccount:${sa("mlflow-prod-gc-invoker")}`;
            const grant = prod.one(T.jobIam);
            assert.deepStrictEqual(
                [grant.inputs.role, grant.inputs.member, grant.inputs.name, grant.inputs.location, grant.inputs.project],
                ["roles/run.invoker", member, "mlflow-prod-gc", REGION, PROJECT],
            );
            const grantsOfInvoker = prod.resources.filter((r) => /IamMember|IAMMember|IamBinding|IAMBinding/.test(r.type) && allStrings(r.inputs.member ?? r.inputs.members).includes(member));
            assert.deepStrictEqual(grantsOfInvoker.map((r) => r.type), [T.jobIam]);
            assert.strictEqual(prod.byType("gcp:projects/iAMMember:IAMMember").length, 0, "nothing project-wide");
        });

        it("mlflow:gc's schedule and olderThan reach the schedule and the job", async () => {
            const run = await runProgram("staging", gcpConfig({ "mlflow:gc": { schedule: "30 2 * * 0", olderThan: "7d12h" } }), SECRET_KEYS);
            assert.strictEqual(run.one(T.schedule).inputs.schedule, "30 2 * * 0");
            const env = jobOf(run).template.template.containers[0].envs.find((e) => e.name === "MLFLOW_DEPLOY_GC_OLDER_THAN");
            assert.strictEqual(env?.value, "7d12h");
            assert.strictEqual(jobOf(run).name, "mlflow-staging-gc");
        });

        it("mlflow:gc false: no job, no schedule, no invoker, no Cloud Scheduler API", async () => {
            const run = await runProgram("prod", gcpConfig({ "mlflow:gc": false }), SECRET_KEYS);
            for (const type of [T.job, T.jobIam, T.schedule]) {
                assert.strictEqual(run.byType(type).length, 0, type);
            }
            assert.deepStrictEqual(run.byType(T.account).map((a) => a.inputs.accountId), ["mlflow-prod-server"]);
            assert.ok(!run.byType(T.api).some((a) => a.inputs.service === "cloudscheduler.googleapis.com"));
        });

        it("with an external PostgreSQL the job has no VPC path and still its URI from Secret Manager", async () => {
            const url = "postgresql://ml:s3cr%40t@db.example.com:5432/mlflow?sslmode=require";
            const run = await runProgram("staging", gcpConfig({ "mlflow:backend": { type: "postgres", mode: "external" }, "mlflow:postgresUrl": url }), SECRET_KEYS);
            const t = jobOf(run).template.template;
            assert.strictEqual(t.vpcAccess, undefined);
            assert.deepStrictEqual(t.containers[0].envs.filter((e) => e.valueSource).map((e) => e.name), ["MLFLOW_BACKEND_STORE_URI"]);
            assert.ok(!plainStrings(run.one(T.job).inputs).some((s) => s.includes("s3cr%40t")));
        });

        it("names stay distinct from the server's when the prefix is long", () => {
            const long = "a-very-long-project-name-for-the-ml-platform-team-stack";
            const names = gcpNames(long);
            assert.ok(names.gcJob.endsWith("-gc") && names.gcJob.length <= 49 && names.gcJob !== names.service);
            assert.match(names.gcInvokerAccountId, /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/);
            assert.ok(names.gcInvokerAccountId.endsWith("-gc-invoker") && names.gcInvokerAccountId !== names.serviceAccountId);
        });
    });

    describe("mlflow:restore: the stack's Cloud SQL instance created from a backup or a point in time", () => {
        const restoreRun = (stack: string, restore: Record<string, unknown>, extra: Record<string, unknown> = {}) => runProgram(stack, gcpConfig({ "mlflow:restore": restore, ...extra }), SECRET_KEYS);

        it("type backup: restoreBackupContext {backupRunId, instanceId: source, project}; no clone", async () => {
            const run = await restoreRun("staging", { type: "backup", source: SOURCE, backupId: "1700000000123" });
            const sql = run.one(T.sql);
            assert.deepStrictEqual(sql.inputs.restoreBackupContext, { backupRunId: 1700000000123, instanceId: SOURCE, project: PROJECT });
            assert.strictEqual(sql.inputs.clone, undefined);
        });

        it("type pointInTime: a clone of the source at that time; 'latest' clones it as it is now", async () => {
            const at = await restoreRun("staging", { type: "pointInTime", source: SOURCE, time: "2026-11-30T12:00:00Z" });
            assert.deepStrictEqual(at.one(T.sql).inputs.clone, { sourceInstanceName: SOURCE, pointInTime: "2026-11-30T12:00:00Z" });
            assert.strictEqual(at.one(T.sql).inputs.restoreBackupContext, undefined);
            const latest = await restoreRun("staging", { type: "pointInTime", source: SOURCE, time: "latest" });
            assert.deepStrictEqual(latest.one(T.sql).inputs.clone, { sourceInstanceName: SOURCE });
            assert.deepStrictEqual(restoreInputs({ type: "pointInTime", source: SOURCE, time: "latest" }, PROJECT), { clone: { sourceInstanceName: SOURCE } });
        });

        it("the restored instance keeps the stack's settings, restores once (later changes ignored), and is a resource of its own", async () => {
            const run = await restoreRun("prod", { type: "backup", source: SOURCE, backupId: "42" });
            const sql = run.one(T.sql);
            assert.strictEqual(sql.name, "mlflow-prod-backend-restored-instance");
            assert.deepStrictEqual(sql.options.ignoreChanges, ["restoreBackupContext", "clone"]);
            assert.strictEqual(sql.options.protect, true);
            const s = sql.inputs.settings as Record<string, any>;
            assert.deepStrictEqual([s.ipConfiguration.ipv4Enabled, s.ipConfiguration.sslMode, s.ipConfiguration.privateNetwork], [false, "ENCRYPTED_ONLY", "mlflow-prod-network-vpc-id"]);
            assert.deepStrictEqual([s.backupConfiguration.enabled, s.availabilityType], [true, "REGIONAL"]);
            for (const policy of RESOURCE_POLICIES) {
                const found: string[] = [];
                (policy.validateResource as (a: unknown, r: (m: string) => void) => void)({ type: T.sql, props: sql.inputs, urn: `urn:pulumi:prod::mlflow::${T.sql}::r`, opts: sql.options }, (m) => found.push(m));
                assert.deepStrictEqual(found, [], policy.name);
            }
            // Without mlflow:restore: the stack's own instance, nothing to ignore.
            const plain = await runProgram("prod", gcpConfig(), SECRET_KEYS);
            assert.strictEqual(plain.one(T.sql).name, "mlflow-prod-backend-instance");
            assert.strictEqual(plain.one(T.sql).options.ignoreChanges, undefined);
            assert.ok(!("restoreBackupContext" in plain.one(T.sql).inputs) && !("clone" in plain.one(T.sql).inputs));
        });

        it("the copy brings its databases and users: none is created again, and the server logs in with mlflow:dbPassword", async () => {
            for (const restore of [{ type: "backup", source: SOURCE, backupId: "42" }, { type: "pointInTime", source: SOURCE }]) {
                const run = await restoreRun("staging", restore, { "mlflow:auth": true, "mlflow:users": [{ name: "alice" }] });
                assert.strictEqual(run.byType(T.user).length, 0, "no user to collide with the restored one");
                assert.strictEqual(run.byType(T.database).length, 0, "no database to collide with the restored ones");
                const uri = run.byType(T.secretVersion).find((v) => v.name.includes("backend-store-uri"))!;
                assert.ok(isSecretValue(uri.inputs.secretData));
                assert.match(allStrings(uri.inputs.secretData)[0], /^postgresql\+psycopg2:\/\/mlflow:[^@]+@10\.20\.0\.3:5432\/mlflow\?sslmode=require$/);
                assert.ok(allStrings(uri.inputs.secretData)[0].includes(`mlflow:${encodeURIComponent(DB_PASSWORD)}@`), "mlflow:dbPassword, the source's password");
            }
            const fresh = await runProgram("staging", gcpConfig(), SECRET_KEYS);
            assert.strictEqual(fresh.byType(T.user).length, 1);
            assert.deepStrictEqual(fresh.byType(T.database).map((d) => d.inputs.name).sort(), ["mlflow", "mlflow_auth"]);
        });

        it("without mlflow:dbPassword the restore is refused with the fix, before any resource", async () => {
            const config = gcpConfig({ "mlflow:restore": { type: "backup", source: SOURCE, backupId: "42" } });
            delete config["mlflow:dbPassword"];
            await assert.rejects(runProgram("staging", config, SECRET_KEYS), /mlflow:dbPassword: is not set, but mlflow:restore is.*pulumi config set --secret mlflow:dbPassword .* --stack staging/s);
        });

        it("a backup ID beyond a safe integer is refused rather than rounded", () => {
            assert.throws(() => restoreInputs({ type: "backup", source: SOURCE, backupId: "99999999999999999999" }, PROJECT), /backupId/);
            assert.deepStrictEqual(restoreInputs({ type: "backup", source: SOURCE, backupId: "9007199254740991" }, PROJECT), {
                restoreBackupContext: { backupRunId: 9007199254740991, instanceId: SOURCE, project: PROJECT },
            });
        });
    });

    describe("mlflow:alerts: channels, an uptime check and alert policies", () => {
        let prod: ProgramRun;
        before(async () => {
            prod = await runProgram("prod", gcpConfig({ "mlflow:alerts": ALERTS }), SECRET_KEYS);
        });

        it("one e-mail channel per address; every policy notifies them and the given channel", () => {
            const channels = prod.byType(T.channel);
            assert.deepStrictEqual(
                channels.map((c) => [c.inputs.type, (c.inputs.labels as Record<string, string>).email_address]),
                [["email", "ml-team@example.com"], ["email", "oncall@example.com"]],
            );
            const expected = [...channels.map((c) => `projects/${PROJECT}/notificationChannels/${c.name}`), ALERTS.target];
            const all = prod.byType(T.policy);
            assert.deepStrictEqual(all.map((p) => p.name.replace("mlflow-prod-alerts-", "")).sort(), ["5xx", "gc-failed", "health", "sql-backup", "sql-cpu", "sql-disk"]);
            for (const p of all) {
                assert.deepStrictEqual(p.inputs.notificationChannels, expected, p.name);
                assert.strictEqual(p.inputs.combiner, "OR");
                assert.strictEqual(p.inputs.project, PROJECT);
            }
            assert.ok(prod.byType(T.api).some((a) => a.inputs.service === "monitoring.googleapis.com"));
        });

        it("5xx: the server's 5xx request count summed over 5 minutes above errors5xx", () => {
            const t = threshold(policies(prod, "prod")["5xx"]);
            assertFilter(t.filter, {
                "metric.type": "run.googleapis.com/request_count",
                "resource.type": "cloud_run_revision",
                "resource.label.service_name": "mlflow-prod-server",
                "metric.label.response_code_class": "5xx",
            });
            assert.deepStrictEqual(t.aggregations, [{ alignmentPeriod: "300s", perSeriesAligner: "ALIGN_SUM", crossSeriesReducer: "REDUCE_SUM", groupByFields: ["resource.label.service_name"] }]);
            assert.deepStrictEqual([t.comparison, t.thresholdValue], ["COMPARISON_GT", 10]);
        });

        it("uptime: the run.app URL's /health over HTTPS, anonymous with access public; the alert when more than one region fails", () => {
            const check = prod.one(T.uptime).inputs as Record<string, any>;
            assert.deepStrictEqual(check.monitoredResource, { type: "uptime_url", labels: { project_id: PROJECT, host: "mlflow-prod-server-123456789012.europe-west1.run.app" } });
            assert.deepStrictEqual([check.httpCheck.path, check.httpCheck.port, check.httpCheck.useSsl, check.httpCheck.validateSsl], ["/health", 443, true, true]);
            assert.strictEqual(check.httpCheck.serviceAgentAuthentication, undefined);
            const t = threshold(policies(prod, "prod").health);
            assertFilter(t.filter, { "metric.type": "monitoring.googleapis.com/uptime_check/check_passed", "metric.label.check_id": "mlflow-prod-alerts-uptime-check-id" });
            assert.strictEqual(t.aggregations[0].crossSeriesReducer, "REDUCE_COUNT_FALSE");
            assert.deepStrictEqual([t.comparison, t.thresholdValue], ["COMPARISON_GT", 1]);
        });

        it("Cloud SQL: CPU above cpuPercent for 15 minutes, disk above storagePercent, on this instance", () => {
            const p = policies(prod, "prod");
            const databaseId = `${PROJECT}:mlflow-prod-pg-k3x9q2ab`;
            const cpu = threshold(p["sql-cpu"]);
            assertFilter(cpu.filter, { "metric.type": "cloudsql.googleapis.com/database/cpu/utilization", "resource.label.database_id": databaseId });
            assert.deepStrictEqual([cpu.comparison, cpu.thresholdValue, cpu.duration], ["COMPARISON_GT", 0.8, "900s"]);
            const disk = threshold(p["sql-disk"]);
            assertFilter(disk.filter, { "metric.type": "cloudsql.googleapis.com/database/disk/utilization", "resource.label.database_id": databaseId });
            assert.deepStrictEqual([disk.comparison, disk.thresholdValue], ["COMPARISON_GT", 0.85]);
        });

        it("backups: a log-based alert on this instance's failed automated backups, rate-limited", () => {
            const backup = policies(prod, "prod")["sql-backup"];
            const filter = backup.conditions[0].conditionMatchedLog.filter as string;
            assert.ok(filter.includes(`logName="projects/${PROJECT}/logs/cloudaudit.googleapis.com%2Fsystem_event"`));
            assert.ok(filter.includes('protoPayload.methodName="cloudsql.instances.automatedBackup"'));
            assert.ok(filter.includes(`resource.labels.database_id="${PROJECT}:mlflow-prod-pg-k3x9q2ab"`));
            assert.ok(filter.includes("severity>=ERROR"));
            assert.strictEqual(backup.alertStrategy.notificationRateLimit.period, "3600s");
        });

        it("gc: any failed execution of the gc job", () => {
            const t = threshold(policies(prod, "prod")["gc-failed"]);
            assertFilter(t.filter, {
                "metric.type": "run.googleapis.com/job/completed_execution_count",
                "resource.type": "cloud_run_job",
                "resource.label.job_name": "mlflow-prod-gc",
                "metric.label.result": "failed",
            });
            assert.deepStrictEqual([t.comparison, t.thresholdValue], ["COMPARISON_GT", 0]);
        });

        it("the thresholds come from mlflow:alerts; staging (no backups), gc off and an external database drop their policies", async () => {
            const run = await runProgram(
                "staging",
                gcpConfig({ "mlflow:alerts": { email: ["ml@example.com"], cpuPercent: 90, storagePercent: 70, errors5xx: 50 }, "mlflow:gc": false }),
                SECRET_KEYS,
            );
            const p = policies(run, "staging");
            assert.deepStrictEqual(Object.keys(p).sort(), ["5xx", "health", "sql-cpu", "sql-disk"]);
            assert.deepStrictEqual([threshold(p["5xx"]).thresholdValue, threshold(p["sql-cpu"]).thresholdValue, threshold(p["sql-disk"]).thresholdValue], [50, 0.9, 0.7]);
            assert.deepStrictEqual(p["5xx"].notificationChannels, [`projects/${PROJECT}/notificationChannels/mlflow-staging-alerts-email-0`]);
            const external = await runProgram(
                "staging",
                gcpConfig({ "mlflow:alerts": { target: ALERTS.target }, "mlflow:backend": { type: "postgres", mode: "external" }, "mlflow:postgresUrl": "postgresql://u:p@db.example.com/mlflow" }),
                SECRET_KEYS,
            );
            assert.deepStrictEqual(Object.keys(policies(external, "staging")).sort(), ["5xx", "gc-failed", "health"]);
            assert.strictEqual(external.byType(T.channel).length, 0);
            assert.deepStrictEqual(policies(external, "staging")["5xx"].notificationChannels, [ALERTS.target]);
        });

        it("access iam: the check carries Monitoring's OIDC token and that agent may invoke the service; iap and internal ingress get no check", async () => {
            const iam = await runProgram("staging", gcpConfig({ "mlflow:alerts": ALERTS, "mlflow:auth": false, "mlflow:gcp": { access: "iam", invokers: ["group:ml@example.com"] } }), SECRET_KEYS);
            assert.deepStrictEqual((iam.one(T.uptime).inputs.httpCheck as Record<string, unknown>).serviceAgentAuthentication, { type: "OIDC_TOKEN" });
            assert.deepStrictEqual(
                iam.byType(T.serviceIam).map((m) => m.inputs.member),
                ["group:ml@example.com", "serviceAccount:service-123456789012@gcp-sa-monitoring-notification.iam.gserviceaccount.com"],
            );
            for (const gcp of [{ access: "iap", invokers: ["domain:example.com"] }, { ingress: "internal" }]) {
                const run = await runProgram("staging", gcpConfig({ "mlflow:alerts": ALERTS, "mlflow:gcp": gcp }), SECRET_KEYS);
                assert.strictEqual(run.byType(T.uptime).length, 0, JSON.stringify(gcp));
                assert.ok(!("health" in policies(run, "staging")));
                assert.ok("5xx" in policies(run, "staging"));
            }
        });

        it("without mlflow:alerts: no channel, check, policy or Monitoring API", async () => {
            const run = await runProgram("prod", gcpConfig(), SECRET_KEYS);
            for (const type of [T.channel, T.policy, T.uptime]) {
                assert.strictEqual(run.byType(type).length, 0, type);
            }
            assert.ok(!run.byType(T.api).some((a: RegisteredResource) => a.inputs.service === "monitoring.googleapis.com"));
        });

        it("uptimeCheckAuth and requiredApis, pure", () => {
            const spec = (raw: Record<string, unknown>) => parseConfig({ project: "mlflow", stack: "staging", raw: { platform: "gcp", backend: { type: "cloudsql" }, artifacts: "gcs", ...raw }, secretsSet: new Set(), providerConfig: { "gcp:project": PROJECT, "gcp:region": REGION } }).spec;
            assert.strictEqual(uptimeCheckAuth(spec({}).gcp!), "anonymous");
            assert.strictEqual(uptimeCheckAuth(spec({ auth: false, gcp: { access: "iam", invokers: ["user:a@example.com"] } }).gcp!), "service-agent");
            assert.strictEqual(uptimeCheckAuth(spec({ gcp: { ingress: "internal-and-cloud-load-balancing" } }).gcp!), undefined);
            const apis = requiredApis(spec({ alerts: { email: ["a@example.com"] } }));
            assert.ok(apis.includes("monitoring.googleapis.com") && apis.includes("cloudscheduler.googleapis.com"));
            assert.ok(!requiredApis(spec({ gc: false })).includes("cloudscheduler.googleapis.com"));
        });
    });
});
