// What the benchmark reads about a server's process tree from /proc: its processes, their PSS
// (proportional set size: shared pages divided among the processes that map them, so the sum
// over a tree is what it really costs) and their CPU time.
import { execFileSync } from "child_process";
import * as fs from "fs";

/** The PIDs of every process in the process group led by pgid. */
export function groupPids(pgid: number): number[] {
    try {
        const out = execFileSync("pgrep", ["-g", String(pgid)], { encoding: "utf8" });
        return out.split("\n").filter((l) => l.trim()).map(Number);
    } catch {
        return [];
    }
}

function readOr(file: string): string | undefined {
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        return undefined; // the process exited meanwhile
    }
}

/** PSS of one process in KiB, from /proc/PID/smaps_rollup. */
export function pssKiB(pid: number): number {
    const rollup = readOr(`/proc/${pid}/smaps_rollup`);
    const match = rollup?.match(/^Pss:\s+(\d+) kB/m);
    return match ? Number(match[1]) : 0;
}

export interface TreeSample {
    processes: number;
    pssMiB: number;
}

export function sampleTree(pgid: number): TreeSample {
    const pids = groupPids(pgid);
    const kib = pids.reduce((sum, pid) => sum + pssKiB(pid), 0);
    return { processes: pids.length, pssMiB: Math.round(kib / 1024) };
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) used so far by the group's live processes. */
export function cpuSeconds(pgid: number): number {
    let ticks = 0;
    for (const pid of groupPids(pgid)) {
        const stat = readOr(`/proc/${pid}/stat`);
        if (!stat) continue;
        // Fields after the command name, which is in parentheses and may contain spaces.
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    }
    return ticks / TICKS_PER_SECOND;
}

/** Pins every thread of the process (and what it forks later) to the given CPUs. */
export function pin(pid: number, cpus: string): void {
    execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
}
