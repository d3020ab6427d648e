#!/bin/bash
# Renders the listen addresses and the upstream servers from the environment, then runs nginx
# in the foreground as PID 1 (the image sets STOPSIGNAL SIGQUIT: nginx then finishes the
# requests in flight before it exits).
#   PROXY_LISTEN               the APIs' `listen` value: 8080 (default) or 127.0.0.1:18080
#   PROXY_WEB_LISTEN           the web frontend's: 8081 (default)
#   USER_SERVICE_UPSTREAMS     space-separated host:port of every user service replica
#   PAYMENT_SERVICE_UPSTREAMS  the same for the payment service
#   WEB_UPSTREAMS              the same for the web frontend
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
listen() {  # a `listen` line: [address:]port, nothing else
  local name=$1 value=$2
  [[ $value =~ ^([0-9.]+:)?[0-9]+$ ]] || { echo "proxy: bad $name '$value'" >&2; exit 2; }
  echo "listen $value;"
}
listen PROXY_LISTEN "${PROXY_LISTEN:-8080}" >"$out/listen.conf"
listen PROXY_WEB_LISTEN "${PROXY_WEB_LISTEN:-8081}" >"$out/web-listen.conf"
servers USER_SERVICE_UPSTREAMS "${USER_SERVICE_UPSTREAMS:-}" >"$out/user-service.upstream"
servers PAYMENT_SERVICE_UPSTREAMS "${PAYMENT_SERVICE_UPSTREAMS:-}" >"$out/payment-service.upstream"
servers WEB_UPSTREAMS "${WEB_UPSTREAMS:-}" >"$out/web.upstream"

conf=(-e stderr -c /etc/platform-proxy/nginx.conf)
case ${1:-} in
  test) exec nginx "${conf[@]}" -t -q ;;
  # Re-resolve the upstream names (a recreated replica has a new address) and re-read the
  # configuration; requests in flight finish on the old workers.
  reload) exec nginx "${conf[@]}" -s reload ;;
esac
exec nginx "${conf[@]}" -g 'daemon off;'
