#!/bin/sh
# Runs Debian's varnishd in the foreground with Vivold's VCL.
#
#   FRONT_PORT     port to listen on (default 6081)
#   FRONT_ADDRESS  address to listen on (default: every interface)
#   BACKEND        host:port of the web server (default 127.0.0.1:8000)
#   PURGE_ALLOW    comma-separated addresses or CIDRs allowed to PURGE
#                  (default 127.0.0.1,::1)
#   PROXY_PORT     optional second port speaking the PROXY protocol, for a TLS
#                  proxy in front that sends it (client.ip is then the visitor's)
#   VARNISH_STORAGE   varnishd -s (default malloc,256m)
#   VARNISH_WORKDIR   varnishd -n working directory (default: a new temporary one)
#   VARNISH_PARAMS    further varnishd arguments, split on spaces
#
# Needs nothing but this folder and Debian's varnish and varnish-modules packages.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
FRONT_PORT=${FRONT_PORT:-6081}
FRONT_ADDRESS=${FRONT_ADDRESS:-}
BACKEND=${BACKEND:-127.0.0.1:8000}
PURGE_ALLOW=${PURGE_ALLOW:-127.0.0.1,::1}
VARNISH_STORAGE=${VARNISH_STORAGE:-malloc,256m}

command -v varnishd >/dev/null 2>&1 || PATH="$PATH:/usr/sbin"
command -v varnishd >/dev/null 2>&1 || { echo "varnishd not found: apt-get install varnish varnish-modules" >&2; exit 1; }

case "$BACKEND" in
  \[*\]:*) backend_host=${BACKEND%]:*}; backend_host=${backend_host#[}; backend_port=${BACKEND##*:} ;;
  *:*) backend_host=${BACKEND%:*}; backend_port=${BACKEND##*:} ;;
  *) backend_host=$BACKEND; backend_port=8000 ;;
esac

workdir=${VARNISH_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/vivold-varnish.XXXXXX")}
mkdir -p "$workdir"
vcl="$workdir/vcl"
mkdir -p "$vcl"
cp "$here/vivold.vcl" "$vcl/vivold.vcl"

cat >"$vcl/backend.vcl" <<EOF
backend default {
    .host = "$backend_host";
    .port = "$backend_port";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
    .between_bytes_timeout = 10s;
}
EOF

{
  echo "acl purge_allowed {"
  old_ifs=$IFS
  IFS=','
  for entry in $PURGE_ALLOW; do
    entry=$(echo "$entry" | tr -d ' ')
    [ -n "$entry" ] || continue
    case "$entry" in
      */*) echo "    \"${entry%/*}\"/${entry#*/};" ;;
      *) echo "    \"$entry\";" ;;
    esac
  done
  IFS=$old_ifs
  echo "}"
} >"$vcl/purge_acl.vcl"

# Everything in the VCL folder must be readable by varnishd's unprivileged compiler.
chmod -R a+rX "$workdir"

set -- -F -n "$workdir/state" -f "$vcl/vivold.vcl" -p "vcl_path=$vcl" -a "$FRONT_ADDRESS:$FRONT_PORT" -s "$VARNISH_STORAGE"
if [ -n "${PROXY_PORT:-}" ]; then
  set -- "$@" -a "$FRONT_ADDRESS:$PROXY_PORT,PROXY"
fi
# shellcheck disable=SC2086 # split on purpose
exec varnishd "$@" ${VARNISH_PARAMS:-}
