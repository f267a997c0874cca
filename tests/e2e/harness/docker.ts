// What the Docker engine holds, read with the docker CLI.
import { execFileSync, spawnSync } from "child_process";

export interface EngineSnapshot {
    containers: string[];
    volumes: string[];
    networks: string[];
}

function lines(args: string[]): string[] {
    return execFileSync("docker", args, { encoding: "utf8" })
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean)
        .sort();
}

export function snapshot(): EngineSnapshot {
    return {
        containers: lines(["ps", "-a", "--format", "{{.Names}}"]),
        volumes: lines(["volume", "ls", "-q"]),
        networks: lines(["network", "ls", "--format", "{{.Name}}"]),
    };
}

/** What `after` holds that `before` did not. */
export function added(before: EngineSnapshot, after: EngineSnapshot): EngineSnapshot {
    const diff = (a: string[], b: string[]) => b.filter((x) => !a.includes(x));
    return { containers: diff(before.containers, after.containers), volumes: diff(before.volumes, after.volumes), networks: diff(before.networks, after.networks) };
}

/** Containers, volumes and networks whose names start with the prefix. */
export function named(prefix: string, snap: EngineSnapshot = snapshot()): EngineSnapshot {
    const keep = (xs: string[]) => xs.filter((x) => x.startsWith(prefix));
    return { containers: keep(snap.containers), volumes: keep(snap.volumes), networks: keep(snap.networks) };
}

export function inspect(name: string): string {
    return execFileSync("docker", ["inspect", name], { encoding: "utf8" });
}

export function docker(args: string[]): string {
    return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

export interface ContainerState {
    id: string;
    status: string;
    health?: string;
    restartCount: number;
    startedAt: string;
}

export function containerState(name: string): ContainerState {
    const [info] = JSON.parse(inspect(name)) as { Id: string; RestartCount: number; State: { Status: string; StartedAt: string; Health?: { Status: string } } }[];
    return { id: info.Id, status: info.State.Status, health: info.State.Health?.Status, restartCount: info.RestartCount, startedAt: info.State.StartedAt };
}

/**
 * Removes the image tags of a run. `docker.Image` never deletes what it built (upstream's rule
 * too), so without this every run would leave its tags behind.
 */
export function removeImageTags(prefix: string): string[] {
    const tags = lines(["images", "--format", "{{.Repository}}:{{.Tag}}"]).filter((t) => t.startsWith(prefix));
    for (const tag of tags) docker(["image", "rm", tag]);
    return tags;
}

/** Removes what is left of a run, by name prefix; returns what it removed. */
export function removeByPrefix(prefix: string): EngineSnapshot {
    const found = named(prefix);
    for (const c of found.containers) docker(["rm", "-f", c]);
    for (const v of found.volumes) docker(["volume", "rm", "-f", v]);
    for (const n of found.networks) docker(["network", "rm", n]);
    return found;
}

/** A container's log, stdout and stderr together (the entrypoint logs to stderr). */
export function containerLogs(name: string): string {
    const r = spawnSync("docker", ["logs", name], { encoding: "utf8" });
    return `${r.stdout}${r.stderr}`;
}
