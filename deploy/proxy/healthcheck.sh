#!/bin/bash
# The proxy's own /healthz on its listen port, with bash alone (no curl in a slim image).
port=${PROXY_LISTEN:-8080}
port=${port##*:}
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r -t 3 _ status _ <&3 || exit 1
[ "$status" = 200 ]
