#!/bin/bash
# Renders the listen address and the upstream servers from the environment, then runs nginx
# in the foreground as PID 1 (the image sets STOPSIGNAL SIGQUIT: nginx then finishes the
# requests in flight before it exits).
#   PROXY_LISTEN               nginx `listen` value: 8080 (default) or 127.0.0.1:18080
#   USER_SERVICE_UPSTREAMS     space-separated host:port of every user service replica
#   PAYMENT_SERVICE_UPSTREAMS  the same for the payment service
# `entrypoint.sh test` checks the rendered configuration (nginx -t); `entrypoint.sh reload`,
# run in the running container, makes nginx re-resolve and re-read it (docs/deployment.md).
set -euo pipefail
out=/tmp/nginx
mkdir -p "$out"

servers() {  # one `server` line per host:port; nothing else may reach nginx's syntax
  local name=$1 list=$2 server
  [ -n "$list" ] || { echo "proxy: set $name" >&2; exit 2; }
  for server in $list; do
    [[ $server =~ ^[A-Za-z0-9._-]+:[0-9]+$ ]] || { echo "proxy: bad $name entry '$server'" >&2; exit 2; }
    echo "server $server max_fails=1 fail_timeout=5s;"
  done
}
listen=${PROXY_LISTEN:-8080}
[[ $listen =~ ^([0-9.]+:)?[0-9]+$ ]] || { echo "proxy: bad PROXY_LISTEN '$listen'" >&2; exit 2; }
echo "listen $listen;" >"$out/listen.conf"
servers USER_SERVICE_UPSTREAMS "${USER_SERVICE_UPSTREAMS:-}" >"$out/user-service.upstream"
servers PAYMENT_SERVICE_UPSTREAMS "${PAYMENT_SERVICE_UPSTREAMS:-}" >"$out/payment-service.upstream"

conf=(-e stderr -c /etc/platform-proxy/nginx.conf)
case ${1:-} in
  test) exec nginx "${conf[@]}" -t -q ;;
  # Re-resolve the upstream names (a recreated replica has a new address) and re-read the
  # configuration; requests in flight finish on the old workers.
  reload) exec nginx "${conf[@]}" -s reload ;;
esac
exec nginx "${conf[@]}" -g 'daemon off;'
