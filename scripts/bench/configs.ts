// The configurations `npm run bench` measures, and how it prints them. Pure.
import { JobRunnerMode } from "../../components/config/jobRunner";

export type BenchBackend = "sqlite" | "postgresql";

export interface BenchConfig {
    /** The seed S0's plain `mlflow server` command instead of the project's contract. */
    s0?: boolean;
    backend: BenchBackend;
    auth: boolean;
    workers: number;
    jobRunner: JobRunnerMode;
}

export interface BenchResult {
    config: BenchConfig;
    processes: number;
    idleMiB: number;
    loadMiB: number;
    startSeconds: number;
    runs: number;
    runsPerSecond: number;
    errors: number;
    /** CPU the server's process tree used during the load, as % of the one core it is pinned to. */
    serverCpuPercent: number;
    /** Most PostgreSQL connections the server held at once during the load (0 on SQLite). */
    dbConnections: number;
    /** CPU the clients and PostgreSQL used during the load, as % of the other cores. */
    otherCoresPercent: number;
    firstError: string;
}

export interface Matrix {
    workers: number[];
    jobRunner: JobRunnerMode[];
    backends: BenchBackend[];
    auth: boolean[];
}

/** S0 first (the yardstick of the run), then every combination of the matrix. */
export function benchConfigs(m: Matrix): BenchConfig[] {
    const configs: BenchConfig[] = [{ s0: true, backend: "sqlite", auth: false, workers: 0, jobRunner: "on" }];
    for (const backend of m.backends) {
        for (const auth of m.auth) {
            for (const jobRunner of m.jobRunner) {
                if (jobRunner === "dedicated") {
                    // The job-runner instance: one worker, and only beside a shared PostgreSQL.
                    if (backend === "postgresql") configs.push({ backend, auth, workers: 1, jobRunner });
                    continue;
                }
                for (const workers of m.workers) {
                    configs.push({ backend, auth, workers, jobRunner });
                }
            }
        }
    }
    return configs;
}

export function label(c: BenchConfig): string {
    if (c.s0) {
        return "S0: `mlflow server` (SQLite, MLflow's defaults)";
    }
    const db = `${c.backend === "sqlite" ? "SQLite" : "PostgreSQL"}${c.auth ? " + auth" : ""}`;
    if (c.jobRunner === "dedicated") {
        return `${db}, the job-runner instance of "dedicated" (1 worker)`;
    }
    return `${db}, ${c.workers} worker${c.workers === 1 ? "" : "s"}, job runner ${c.jobRunner}`;
}

export interface Machine {
    date: string;
    cpu: string;
    cores: number;
    memoryGiB: number;
    mlflow: string;
    clients: number;
    seconds: number;
}

/** The results as a Markdown table, throughput also as a multiple of S0's. */
export function formatTable(results: BenchResult[], machine: Machine): string {
    const s0 = results.find((r) => r.config.s0);
    const lines = [
        `Measured ${machine.date} on ${machine.cpu} (${machine.cores} cores, ${machine.memoryGiB} GiB), MLflow ${machine.mlflow}: ` +
            `the server pinned to one core, ${machine.clients} MLflow clients on the other cores logging runs for ${machine.seconds} s ` +
            "(a run = create_run, log_batch of 5 params and 10 metrics, set_terminated). PostgreSQL runs on the other cores, and the server uses MLflow's pool of 5 + 10 per engine. PSS is summed over the server's whole process tree; " +
            "idle is read once the tree has used under 5% of its core for 3 s (at most 30 s after /health). \"Other cores busy\" counts the clients and PostgreSQL: near 100% means they, not the server, bound the throughput.",
        "",
        "| configuration | processes | PSS idle | PSS under load | start to /health | runs/s | × S0 | errors | DB connections | server core busy | other cores busy |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ];
    for (const r of results) {
        const ratio = s0 && s0.runsPerSecond > 0 ? `${(r.runsPerSecond / s0.runsPerSecond).toFixed(2)}×` : "—";
        lines.push(
            `| ${label(r.config)} | ${r.processes} | ${r.idleMiB} MiB | ${r.loadMiB} MiB | ${r.startSeconds.toFixed(1)} s | ` +
                `${r.runsPerSecond.toFixed(1)} | ${ratio} | ${r.errors} | ${r.config.backend === "postgresql" ? r.dbConnections : "—"} | ${Math.round(r.serverCpuPercent)}% | ${Math.round(r.otherCoresPercent)}% |`,
        );
    }
    const failed = results.filter((r) => r.firstError);
    for (const r of failed) {
        lines.push("", `${label(r.config)}: first error: ${r.firstError}`);
    }
    return lines.join("\n");
}
