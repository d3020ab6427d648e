#!/usr/bin/env bash
# Prepares this machine for the container test (.ci/run, make container-test): Debian's
# Docker engine and Compose v1, a running dockerd, the debootstrapped base image
# local/python-base:bookworm (no registry is reachable here) and nothing else. Idempotent.
# Needs root (apt-get, dockerd); on a workstation with Docker already running it only
# checks the base image.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 \
  || missing+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# No systemd on these machines: start the engine ourselves when nothing answers.
if ! docker info >/dev/null 2>&1; then
  echo "starting dockerd (log: /var/log/dockerd.log)"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 /var/log/dockerd.log; exit 1; }
fi

deploy/base-image.sh local/python-base:bookworm
