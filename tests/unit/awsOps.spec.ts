// Day-2 operations on AWS under mocks, the real program: mlflow gc on an EventBridge schedule,
// mlflow:restore into RDS, and mlflow:alerts (SNS topic, alarms, gc failures, RDS events).
import * as assert from "assert";
import { restoreInputs } from "../../components/backend/rds";
import { alertsTopicPolicy, freeStorageThresholdBytes, gcFailurePattern } from "../../components/platform/aws/opsPolicies";
import { allStrings, isSecretValue, plainStrings, ProgramRun, RegisteredResource, runProgram, stackFileConfig } from "./harness";

const ACCOUNT = "123456789012";
const ADMIN_PASSWORD = "Adm1n-ops pass@word:/?#%&";
const DB_PASSWORD = "rds-ops-Pw!#%&*-_+=:?x9";
const SECRETS = { "mlflow:adminPassword": ADMIN_PASSWORD, "mlflow:dbPassword": DB_PASSWORD };
const SECRET_KEYS = Object.keys(SECRETS);
const GIB = 1024 ** 3;

type Json = Record<string, any>;

interface Container {
    name: string;
    image: string;
    command: string[];
    environment: { name: string; value: string }[];
    secrets: { name: string; valueFrom: string }[];
    logConfiguration: { logDriver: string; options: Record<string, string> };
}

function run(stack: string, extra: Record<string, unknown> = {}): Promise<ProgramRun> {
    return runProgram(stack, { ...stackFileConfig(stack), ...SECRETS, ...extra }, SECRET_KEYS);
}

function named(r: ProgramRun, type: string, suffix: string): RegisteredResource {
    const found = r.byType(type).filter((x) => x.name.endsWith(suffix));
    assert.strictEqual(found.length, 1, `${type} *${suffix}: found ${found.map((x) => x.name).join(", ")}`);
    return found[0];
}

function container(task: RegisteredResource): Container {
    const defs = JSON.parse(task.inputs.containerDefinitions as string) as Container[];
    assert.strictEqual(defs.length, 1);
    return defs[0];
}

const json = (v: unknown): Json => JSON.parse(v as string);
const gcTask = (r: ProgramRun) => named(r, "aws:ecs/taskDefinition:TaskDefinition", "-gc-task");
const serverTask = (r: ProgramRun) => named(r, "aws:ecs/taskDefinition:TaskDefinition", "-service-task");
const alarm = (r: ProgramRun, suffix: string): Json => named(r, "aws:cloudwatch/metricAlarm:MetricAlarm", `-alerts-${suffix}`).inputs;

describe("AWS operations: mlflow gc on an EventBridge schedule", function () {
    this.timeout(60000);
    const runs: Record<string, ProgramRun> = {};

    before(async () => {
        runs.staging = await run("staging");
        runs.prod = await run("prod");
        runs.custom = await run("staging", { "mlflow:gc": { schedule: "30 2 * * 1-5", olderThan: "7d" } });
        runs.off = await run("staging", { "mlflow:gc": false });
    });

    it("the schedule: mlflow:gc's cron as EventBridge writes it, in UTC, exactly on time, on the server's cluster, with retries", () => {
        for (const [key, expression] of [["staging", "cron(0 4 * * ? *)"], ["prod", "cron(0 4 * * ? *)"], ["custom", "cron(30 2 ? * 2-6 *)"]]) {
            const r = runs[key];
            const stack = key === "prod" ? "prod" : "staging";
            const s = r.one("aws:scheduler/schedule:Schedule").inputs as Json;
            assert.strictEqual(s.scheduleExpression, expression, key);
            assert.strictEqual(s.scheduleExpressionTimezone, "UTC");
            assert.deepStrictEqual(s.flexibleTimeWindow, { mode: "OFF" });
            assert.strictEqual(s.state, "ENABLED");
            assert.strictEqual(s.target.arn, `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/mlflow-${stack}`);
            assert.strictEqual(s.target.roleArn, `arn:aws:iam::${ACCOUNT}:role/mlflow-${stack}-gc-scheduler`);
            assert.ok(s.target.retryPolicy.maximumRetryAttempts >= 1, "RunTask is retried");
            const ecs = s.target.ecsParameters;
            assert.strictEqual(ecs.taskDefinitionArn, `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/mlflow-${stack}-gc:1`);
            assert.strictEqual(ecs.launchType, "FARGATE");
            assert.strictEqual(ecs.taskCount, 1);
            // The server's subnets and security group: the one network path to RDS.
            const service = r.one("aws:ecs/service:Service").inputs as Json;
            assert.deepStrictEqual(ecs.networkConfiguration, service.networkConfiguration);
        }
    });

    it("the task: the server's image with --gc, plain env, the server's task role (S3), logs in the server's log group under gc/", () => {
        for (const key of ["staging", "prod"]) {
            const r = runs[key];
            const task = gcTask(r).inputs as Json;
            const server = serverTask(r).inputs as Json;
            assert.strictEqual(task.family, `mlflow-${key}-gc`);
            assert.deepStrictEqual(task.requiresCompatibilities, ["FARGATE"]);
            assert.strictEqual(task.taskRoleArn, server.taskRoleArn, "the server's identity on the bucket");
            assert.notStrictEqual(task.executionRoleArn, server.executionRoleArn, "an execution role of its own");
            const c = container(gcTask(r));
            const s = container(serverTask(r));
            assert.strictEqual(c.image, s.image);
            assert.deepStrictEqual(c.command, ["--gc"]);
            const env = Object.fromEntries(c.environment.map((e) => [e.name, e.value]));
            assert.strictEqual(env.MLFLOW_DEPLOY_GC_OLDER_THAN, "30d");
            assert.strictEqual(env.MLFLOW_DEPLOY_ARTIFACTS_DESTINATION, `s3://mlflow-${key}-artifacts-k3x9q2ab/${key}`);
            assert.strictEqual(env.AWS_DEFAULT_REGION, "eu-west-1");
            assert.deepStrictEqual(c.logConfiguration, {
                logDriver: "awslogs",
                options: { "awslogs-group": `/ecs/mlflow-${key}`, "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "gc" },
            });
        }
        const custom = Object.fromEntries(container(gcTask(runs.custom)).environment.map((e) => [e.name, e.value]));
        assert.strictEqual(custom.MLFLOW_DEPLOY_GC_OLDER_THAN, "7d");
    });

    it("the task's secrets: the database URI from the server's own Secrets Manager secret, nothing in plain env or command", () => {
        for (const key of ["staging", "prod"]) {
            const r = runs[key];
            const c = container(gcTask(r));
            const serverRef = container(serverTask(r)).secrets.find((x) => x.name === "MLFLOW_BACKEND_STORE_URI")!;
            assert.deepStrictEqual(c.secrets, [serverRef], "only the database URI, by the server's secret ARN");
            for (const value of [...c.command, ...c.environment.map((e) => e.value)]) {
                for (const secret of [ADMIN_PASSWORD, DB_PASSWORD, encodeURIComponent(DB_PASSWORD)]) {
                    assert.ok(!value.includes(secret), `${key}: a secret in the gc task's plain values`);
                }
                assert.ok(!/postgresql(\+psycopg2)?:\/\//.test(value), `${key}: a database URI in plain: ${value}`);
            }
            assert.strictEqual(r.byType("aws:secretsmanager/secret:Secret").length, runs.off.byType("aws:secretsmanager/secret:Secret").length, "no second copy of a secret");
            const read = json(named(r, "aws:iam/rolePolicy:RolePolicy", "-gc-execution-secrets").inputs.policy);
            assert.deepStrictEqual(read.Statement, [{ Sid: "ReadTaskSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [serverRef.valueFrom] }]);
        }
    });

    it("the scheduler's role: assumed by EventBridge Scheduler of this account only; runs the gc family on this cluster, passes the gc task's two roles only", () => {
        for (const key of ["staging", "prod"]) {
            const r = runs[key];
            const role = named(r, "aws:iam/role:Role", "-gc-scheduler").inputs as Json;
            assert.deepStrictEqual(json(role.assumeRolePolicy).Statement, [
                { Sid: "SchedulerOfThisAccount", Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } } },
            ]);
            const [run, pass] = json(named(r, "aws:iam/rolePolicy:RolePolicy", "-gc-scheduler-run").inputs.policy).Statement;
            assert.deepStrictEqual(run.Action, ["ecs:RunTask"]);
            assert.deepStrictEqual(run.Resource, [`arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/mlflow-${key}-gc:*`]);
            assert.deepStrictEqual(run.Condition, { ArnEquals: { "ecs:cluster": [`arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/mlflow-${key}`] } });
            assert.deepStrictEqual(pass.Action, ["iam:PassRole"]);
            const gc = gcTask(r).inputs as Json;
            assert.deepStrictEqual(pass.Resource, [gc.executionRoleArn, gc.taskRoleArn].sort());
            assert.deepStrictEqual(pass.Condition, { StringLike: { "iam:PassedToService": ["ecs-tasks.amazonaws.com"] } });
        }
    });

    it("mlflow:gc false: no schedule, no gc task, no roles for it", () => {
        const r = runs.off;
        assert.strictEqual(r.byType("aws:scheduler/schedule:Schedule").length, 0);
        assert.deepStrictEqual(r.byType("aws:ecs/taskDefinition:TaskDefinition").map((t) => t.inputs.family), ["mlflow-staging-server"]);
        assert.deepStrictEqual(r.resources.filter((x) => x.name.includes("-gc")).map((x) => x.name), []);
        // gc adds exactly its component and seven resources: task definition, execution role (+ managed policy, secrets policy), scheduler role (+ policy), schedule.
        assert.strictEqual(runs.staging.resources.length - r.resources.length, 8);
    });
});

describe("AWS operations: mlflow:restore creates the RDS instance from a backup", function () {
    this.timeout(60000);
    const runs: Record<string, ProgramRun> = {};
    const db = (r: ProgramRun) => r.one("aws:rds/instance:Instance");

    before(async () => {
        runs.none = await run("staging");
        runs.snapshot = await run("staging", { "mlflow:restore": { type: "snapshot", snapshot: "mlflow-prod-final-k3x9q2ab" } });
        runs.time = await run("prod", { "mlflow:restore": { type: "pointInTime", source: "mlflow-prod-20260101000000000000000001", time: "2026-11-30T12:00:00Z" } });
        runs.latest = await run("staging", { "mlflow:restore": { type: "pointInTime", source: "mlflow-staging-20260101000000000000000001" } });
    });

    it("snapshot: snapshotIdentifier; the database, user, engine version and size come from the snapshot", () => {
        const i = db(runs.snapshot).inputs;
        assert.strictEqual(i.snapshotIdentifier, "mlflow-prod-final-k3x9q2ab");
        assert.strictEqual(i.restoreToPointInTime, undefined);
        for (const k of ["dbName", "username", "engineVersion", "allocatedStorage"]) {
            assert.strictEqual(i[k], undefined, `${k} is the snapshot's`);
        }
    });

    it("point in time: the source instance and the UTC time, or its latest restorable time", () => {
        assert.deepStrictEqual(db(runs.time).inputs.restoreToPointInTime, { sourceDbInstanceIdentifier: "mlflow-prod-20260101000000000000000001", restoreTime: "2026-11-30T12:00:00Z" });
        assert.deepStrictEqual(db(runs.latest).inputs.restoreToPointInTime, { sourceDbInstanceIdentifier: "mlflow-staging-20260101000000000000000001", useLatestRestorableTime: true });
        for (const r of [runs.time, runs.latest]) {
            const i = db(r).inputs;
            assert.strictEqual(i.snapshotIdentifier, undefined);
            for (const k of ["dbName", "username", "engineVersion", "allocatedStorage"]) {
                assert.strictEqual(i[k], undefined, `${k} is the source's`);
            }
        }
        // Prod's protections hold for a restored instance too.
        assert.strictEqual(db(runs.time).inputs.deletionProtection, true);
        assert.strictEqual(db(runs.time).options.protect, true);
    });

    it("a restored instance keeps the stack's settings and password (the provider resets it after the restore), and the server's URI", () => {
        for (const key of ["snapshot", "time", "latest"]) {
            const i = db(runs[key]).inputs;
            assert.ok(isSecretValue(i.password), `${key}: the password stays a secret input`);
            assert.deepStrictEqual(allStrings(i.password), [DB_PASSWORD], `${key}: the configured password is set on the restored instance`);
            assert.strictEqual(i.storageEncrypted, true);
            assert.strictEqual(i.publiclyAccessible, false);
            assert.deepStrictEqual(i.vpcSecurityGroupIds, [`mlflow-${key === "time" ? "prod" : "staging"}-network-db-sg-id`]);
            const uris = runs[key].byType("aws:secretsmanager/secretVersion:SecretVersion").flatMap((v) => allStrings(v.inputs.secretString));
            assert.ok(uris.some((u) => u.startsWith("postgresql+psycopg2://mlflow:") && u.endsWith("/mlflow")), `${key}: the server connects as the source's user to its database`);
        }
    });

    it("without mlflow:restore a new, empty instance; restore inputs only count at creation (changing or removing mlflow:restore never replaces the database)", () => {
        const i = db(runs.none).inputs;
        assert.deepStrictEqual([i.dbName, i.username, i.engineVersion, i.allocatedStorage], ["mlflow", "mlflow", "17", 20]);
        assert.strictEqual(i.snapshotIdentifier, undefined);
        assert.strictEqual(i.restoreToPointInTime, undefined);
        for (const key of ["none", "snapshot", "time"]) {
            assert.deepStrictEqual(db(runs[key]).options.ignoreChanges, ["snapshotIdentifier", "restoreToPointInTime"], key);
        }
    });

    it("restoreInputs (pure): nothing without a restore; a Cloud SQL backup has no RDS form", () => {
        assert.strictEqual(restoreInputs(undefined), undefined);
        assert.throws(() => restoreInputs({ type: "backup", source: "x", backupId: "1" }), /no RDS form/);
    });
});

describe("AWS operations: mlflow:alerts", function () {
    this.timeout(90000);
    const runs: Record<string, ProgramRun> = {};
    const EMAILS = ["ops@example.com", "oncall@example.com"];
    const TARGET = `arn:aws:sns:eu-west-1:${ACCOUNT}:team-alerts`;
    const TOPIC = `arn:aws:sns:eu-west-1:${ACCOUNT}:mlflow-prod-alerts`;

    before(async () => {
        runs.none = await run("staging");
        runs.email = await run("prod", { "mlflow:alerts": { email: EMAILS, cpuPercent: 75, storagePercent: 90, errors5xx: 25 } });
        runs.target = await run("staging", { "mlflow:alerts": { target: TARGET } });
        runs.both = await run("prod", { "mlflow:alerts": { email: ["ops@example.com"], target: TARGET } });
        runs.noGc = await run("prod", { "mlflow:alerts": { email: ["ops@example.com"] }, "mlflow:gc": false });
        runs.external = await runProgram(
            "staging",
            {
                ...stackFileConfig("staging"),
                "mlflow:backend": { type: "postgres", mode: "external" },
                "mlflow:postgresUrl": "postgresql://ext:TEST-ext-db-pw-77@db.example.com:5432/mlflow",
                "mlflow:adminPassword": ADMIN_PASSWORD,
                "mlflow:alerts": { email: ["ops@example.com"] },
            },
            ["mlflow:adminPassword", "mlflow:postgresUrl"],
        );
    });

    it("without mlflow:alerts: no topic, no key, no alarm, no rule, no RDS event subscription", () => {
        for (const type of ["aws:sns/topic:Topic", "aws:kms/key:Key", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/eventRule:EventRule", "aws:rds/eventSubscription:EventSubscription", "aws:sns/topicSubscription:TopicSubscription"]) {
            assert.strictEqual(runs.none.byType(type).length, 0, type);
        }
    });

    it("the topic: encrypted with a customer managed key the publishing services may use, one e-mail subscription per address", () => {
        const r = runs.email;
        const key = r.one("aws:kms/key:Key").inputs as Json;
        const topic = r.one("aws:sns/topic:Topic").inputs as Json;
        assert.strictEqual(topic.name, "mlflow-prod-alerts");
        assert.strictEqual(topic.kmsMasterKeyId, `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`);
        assert.strictEqual(key.enableKeyRotation, true);
        const use = json(key.policy).Statement.find((s: Json) => s.Sid === "AlertPublishersEncrypt");
        assert.deepStrictEqual(use.Principal.Service.sort(), ["cloudwatch.amazonaws.com", "events.amazonaws.com", "events.rds.amazonaws.com"]);
        assert.deepStrictEqual(use.Action, ["kms:GenerateDataKey*", "kms:Decrypt"]);
        const subs = r.byType("aws:sns/topicSubscription:TopicSubscription").map((s) => [s.inputs.protocol, s.inputs.endpoint, s.inputs.topic]);
        assert.deepStrictEqual(subs.sort(), EMAILS.map((e) => ["email", e, TOPIC]).sort());
    });

    it("the topic policy: only this stack's alarms, its gc failure rule and its database publish", () => {
        const r = runs.email;
        const statements = json(r.one("aws:sns/topicPolicy:TopicPolicy").inputs.policy).Statement as Json[];
        const by = Object.fromEntries(statements.map((s) => [s.Principal.Service, s]));
        assert.deepStrictEqual(Object.keys(by).sort(), ["cloudwatch.amazonaws.com", "events.amazonaws.com", "events.rds.amazonaws.com"]);
        for (const s of statements) {
            assert.deepStrictEqual([s.Action, s.Resource], ["sns:Publish", TOPIC]);
        }
        assert.deepStrictEqual(by["cloudwatch.amazonaws.com"].Condition, {
            StringEquals: { "aws:SourceAccount": ACCOUNT },
            ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:mlflow-prod-*` },
        });
        assert.deepStrictEqual(by["events.amazonaws.com"].Condition, { ArnEquals: { "aws:SourceArn": `arn:aws:events:eu-west-1:${ACCOUNT}:rule/mlflow-prod-gc-failed` } });
        const db = r.one("aws:rds/instance:Instance");
        assert.ok(by["events.rds.amazonaws.com"].Condition.ArnLike["aws:SourceArn"].includes(`arn:aws:rds:eu-west-1:${ACCOUNT}:db:${String(db.inputs.identifierPrefix)}20260101000000000000000001`));
        assert.strictEqual(by["events.rds.amazonaws.com"].Condition.StringEquals["aws:SourceAccount"], ACCOUNT);
        // Without gc there is no rule to let in.
        const noGc = json(runs.noGc.one("aws:sns/topicPolicy:TopicPolicy").inputs.policy).Statement as Json[];
        assert.ok(!noGc.some((s) => s.Principal.Service === "events.amazonaws.com"));
    });

    it("server down: no healthy target for 3 minutes (missing data counts), ALARM and OK to the topic", () => {
        const a = alarm(runs.email, "unhealthy");
        assert.deepStrictEqual([a.namespace, a.metricName, a.statistic, a.period, a.evaluationPeriods], ["AWS/ApplicationELB", "HealthyHostCount", "Minimum", 60, 3]);
        assert.deepStrictEqual(a.dimensions, { TargetGroup: "targetgroup/mlflow-prod-lb-tg/73e2d6bc24d8a067", LoadBalancer: "app/mlflow-prod-lb-alb/50dc6c495c0c9188" });
        assert.deepStrictEqual([a.comparisonOperator, a.threshold, a.treatMissingData], ["LessThanThreshold", 1, "breaching"]);
        assert.deepStrictEqual([a.alarmActions, a.okActions], [[TOPIC], [TOPIC]]);
    });

    it("5xx: server and load balancer 5xx summed over 5 minutes above mlflow:alerts.errors5xx; no traffic is not an alarm", () => {
        const a = alarm(runs.email, "5xx");
        const q = Object.fromEntries((a.metricQueries as Json[]).map((m) => [m.id, m]));
        assert.deepStrictEqual(q.server.metric, { namespace: "AWS/ApplicationELB", metricName: "HTTPCode_Target_5XX_Count", dimensions: { TargetGroup: "targetgroup/mlflow-prod-lb-tg/73e2d6bc24d8a067", LoadBalancer: "app/mlflow-prod-lb-alb/50dc6c495c0c9188" }, period: 300, stat: "Sum" });
        assert.deepStrictEqual(q.balancer.metric, { namespace: "AWS/ApplicationELB", metricName: "HTTPCode_ELB_5XX_Count", dimensions: { LoadBalancer: "app/mlflow-prod-lb-alb/50dc6c495c0c9188" }, period: 300, stat: "Sum" });
        assert.strictEqual(q.errors.expression, "FILL(server, 0) + FILL(balancer, 0)");
        assert.deepStrictEqual([q.server.returnData, q.balancer.returnData, q.errors.returnData], [false, false, true]);
        assert.deepStrictEqual([a.comparisonOperator, a.threshold, a.evaluationPeriods, a.treatMissingData], ["GreaterThanThreshold", 25, 1, "notBreaching"]);
        assert.deepStrictEqual([a.alarmActions, a.okActions], [[TOPIC], [TOPIC]]);
    });

    it("database CPU above mlflow:alerts.cpuPercent for 15 minutes; free storage below (100 - storagePercent)% of the allocated storage", () => {
        const identifier = `${String(runs.email.one("aws:rds/instance:Instance").inputs.identifierPrefix)}20260101000000000000000001`;
        const cpu = alarm(runs.email, "db-cpu");
        assert.deepStrictEqual([cpu.namespace, cpu.metricName, cpu.statistic, cpu.dimensions], ["AWS/RDS", "CPUUtilization", "Average", { DBInstanceIdentifier: identifier }]);
        assert.strictEqual(cpu.period * cpu.evaluationPeriods, 15 * 60);
        assert.strictEqual(cpu.datapointsToAlarm, cpu.evaluationPeriods, "every period of the 15 minutes");
        assert.deepStrictEqual([cpu.comparisonOperator, cpu.threshold], ["GreaterThanThreshold", 75]);
        assert.deepStrictEqual([cpu.alarmActions, cpu.okActions], [[TOPIC], [TOPIC]]);
        const storage = alarm(runs.email, "db-storage");
        assert.deepStrictEqual([storage.namespace, storage.metricName, storage.statistic, storage.dimensions], ["AWS/RDS", "FreeStorageSpace", "Minimum", { DBInstanceIdentifier: identifier }]);
        // Pulumi.prod.yaml: 50 GiB; 90% used leaves 5 GiB.
        assert.deepStrictEqual([storage.comparisonOperator, storage.threshold], ["LessThanThreshold", 5 * GIB]);
        assert.deepStrictEqual([storage.alarmActions, storage.okActions], [[TOPIC], [TOPIC]]);
    });

    it("a failed gc task (non-zero exit, or never started) reaches the topic through an EventBridge rule", () => {
        const r = runs.email;
        const rule = r.one("aws:cloudwatch/eventRule:EventRule").inputs as Json;
        const pattern = json(rule.eventPattern);
        assert.deepStrictEqual(pattern.source, ["aws.ecs"]);
        assert.deepStrictEqual(pattern["detail-type"], ["ECS Task State Change"]);
        assert.deepStrictEqual(pattern.detail.clusterArn, [`arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/mlflow-prod`]);
        assert.deepStrictEqual(pattern.detail.taskDefinitionArn, [{ prefix: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/mlflow-prod-gc:` }]);
        assert.deepStrictEqual(pattern.detail.lastStatus, ["STOPPED"]);
        assert.deepStrictEqual(pattern.detail.$or, [{ containers: { exitCode: [{ "anything-but": 0 }] } }, { stopCode: ["TaskFailedToStart"] }]);
        assert.deepStrictEqual(r.byType("aws:cloudwatch/eventTarget:EventTarget").map((t) => [t.inputs.rule, t.inputs.arn]), [["mlflow-prod-gc-failed", TOPIC]]);
        assert.strictEqual(runs.noGc.byType("aws:cloudwatch/eventRule:EventRule").length, 0, "no gc, no rule");
    });

    it("RDS events: the instance's availability, failure and low-storage events to the topic", () => {
        const sub = runs.email.one("aws:rds/eventSubscription:EventSubscription").inputs as Json;
        const identifier = `${String(runs.email.one("aws:rds/instance:Instance").inputs.identifierPrefix)}20260101000000000000000001`;
        assert.deepStrictEqual([sub.snsTopic, sub.sourceType, sub.sourceIds], [TOPIC, "db-instance", [identifier]]);
        assert.deepStrictEqual([...sub.eventCategories].sort(), ["availability", "failure", "low storage"]);
    });

    it("mlflow:alerts.target alone: everything goes to the given topic, the program creates none", () => {
        const r = runs.target;
        for (const type of ["aws:sns/topic:Topic", "aws:kms/key:Key", "aws:sns/topicSubscription:TopicSubscription", "aws:sns/topicPolicy:TopicPolicy"]) {
            assert.strictEqual(r.byType(type).length, 0, type);
        }
        const alarms = r.byType("aws:cloudwatch/metricAlarm:MetricAlarm");
        assert.strictEqual(alarms.length, 4);
        for (const a of alarms) {
            assert.deepStrictEqual([a.inputs.alarmActions, a.inputs.okActions], [[TARGET], [TARGET]], a.name);
        }
        assert.strictEqual(alarm(r, "5xx").threshold, 10, "the default errors5xx");
        assert.strictEqual(alarm(r, "db-storage").threshold, freeStorageThresholdBytes(20, 85));
        assert.strictEqual(r.one("aws:rds/eventSubscription:EventSubscription").inputs.snsTopic, TARGET);
        assert.strictEqual(r.one("aws:cloudwatch/eventTarget:EventTarget").inputs.arn, TARGET);
    });

    it("e-mail and a target: every alarm, rule and event subscription reaches both", () => {
        const r = runs.both;
        for (const a of r.byType("aws:cloudwatch/metricAlarm:MetricAlarm")) {
            assert.deepStrictEqual(a.inputs.alarmActions, [TOPIC, TARGET], a.name);
            assert.deepStrictEqual(a.inputs.okActions, [TOPIC, TARGET], a.name);
        }
        assert.deepStrictEqual(r.byType("aws:rds/eventSubscription:EventSubscription").map((s) => s.inputs.snsTopic).sort(), [TARGET, TOPIC].sort());
        assert.deepStrictEqual(r.byType("aws:cloudwatch/eventTarget:EventTarget").map((t) => t.inputs.arn).sort(), [TARGET, TOPIC].sort());
    });

    it("an external PostgreSQL: the server's alarms only, no database alarm or RDS event subscription", () => {
        const r = runs.external;
        assert.deepStrictEqual(r.byType("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.inputs.name).sort(), ["mlflow-staging-5xx", "mlflow-staging-unhealthy"]);
        assert.strictEqual(r.byType("aws:rds/eventSubscription:EventSubscription").length, 0);
        const statements = json(r.one("aws:sns/topicPolicy:TopicPolicy").inputs.policy).Statement as Json[];
        assert.ok(!statements.some((s) => s.Principal.Service === "events.rds.amazonaws.com"));
    });

    it("no alert resource carries a secret in a plain input", () => {
        for (const r of Object.values(runs)) {
            for (const res of r.resources.filter((x) => /-(alerts|gc)-/.test(x.name))) {
                for (const s of plainStrings(res.inputs)) {
                    for (const secret of [ADMIN_PASSWORD, DB_PASSWORD, "TEST-ext-db-pw-77"]) {
                        assert.ok(!s.includes(secret), `${res.type} ${res.name}`);
                    }
                }
            }
        }
    });
});

describe("AWS operations documents (pure)", () => {
    it("free storage threshold: the unused share of the allocated GiB, in bytes", () => {
        assert.strictEqual(freeStorageThresholdBytes(20, 85), 3 * GIB);
        assert.strictEqual(freeStorageThresholdBytes(100, 99), GIB);
    });

    it("the gc failure pattern names the cluster and the gc family's revisions only", () => {
        const p = gcFailurePattern("arn:c", "arn:aws:ecs:r:1:task-definition/x-gc") as Json;
        assert.deepStrictEqual(p.detail.taskDefinitionArn, [{ prefix: "arn:aws:ecs:r:1:task-definition/x-gc:" }], "x-gc-other must not match");
    });

    it("the topic policy lets in only the publishers the stack has", () => {
        const base = { topicArn: "arn:t", partition: "aws", region: "eu-west-1", account: ACCOUNT, namePrefix: "p" };
        assert.deepStrictEqual(alertsTopicPolicy(base).Statement.map((s) => s.Sid), ["StackAlarms"]);
        assert.deepStrictEqual(alertsTopicPolicy({ ...base, gcRuleArn: "arn:r", databaseArn: "arn:d" }).Statement.map((s) => s.Sid), ["StackAlarms", "GcTaskFailures", "DatabaseEvents"]);
    });
});
