#!/usr/bin/env bash
# Makes sure a Docker engine answers. Prints nothing to stdout but, when this call started
# dockerd itself, the daemon's PID (so the caller can stop exactly that process later).
#   scripts/docker-engine.sh start   install docker.io (Debian, as root) if missing, start dockerd if
#                                    `docker info` fails, wait until it answers
#   scripts/docker-engine.sh stop PID  stop a dockerd this script started
set -euo pipefail

log() { echo "$*" >&2; }

case "${1:-start}" in
start)
    if docker info >/dev/null 2>&1; then
        log "== docker engine already running"
        exit 0
    fi
    if ! command -v dockerd >/dev/null 2>&1; then
        if [ "$(id -u)" != 0 ]; then
            log "!! no Docker engine: install Docker (https://docs.docker.com/engine/install/) and start it"
            exit 1
        fi
        log "== installing docker.io (Debian package)"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
    fi
    if [ "$(id -u)" != 0 ]; then
        log "!! the Docker engine is not running and only root can start it here: start Docker, then retry"
        exit 1
    fi
    logfile=${DOCKERD_LOG:-/tmp/dockerd.log}
    log "== starting dockerd (log: $logfile)"
    nohup dockerd >"$logfile" 2>&1 </dev/null &
    pid=$!
    for _ in $(seq 1 60); do
        if docker info >/dev/null 2>&1; then
            echo "$pid"
            exit 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            log "!! dockerd exited; last lines of $logfile:"
            tail -n 20 "$logfile" >&2
            exit 1
        fi
        sleep 1
    done
    log "!! dockerd did not answer within 60 s; see $logfile"
    kill "$pid" 2>/dev/null || true
    exit 1
    ;;
stop)
    pid=${2:?usage: docker-engine.sh stop PID}
    kill "$pid" 2>/dev/null || exit 0
    for _ in $(seq 1 30); do
        kill -0 "$pid" 2>/dev/null || exit 0
        sleep 1
    done
    kill -9 "$pid" 2>/dev/null || true
    ;;
*)
    log "usage: docker-engine.sh start | stop PID"
    exit 2
    ;;
esac
