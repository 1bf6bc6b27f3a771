#!/usr/bin/env bash
# Local stand-ins for the public base images, for machines that reach Debian's
# package archive but no container registry (the stack test's, see the README):
#   vivold-local/debian:bookworm   a minimal Debian root made by debootstrap, `docker import`ed
#   vivold-local/python:3.11       + Debian's python3 (3.11), venv and `python`   (for python:3.11-slim)
#   vivold-local/postgres:15       + Debian's PostgreSQL 15, the official entrypoint's POSTGRES_* (for postgres:16-alpine)
#   vivold-local/redis:7           + Debian's Redis 7                             (for redis:7-alpine)
# An image that is already there is kept: a machine builds each once.
# REBUILD=1 builds them all again. DEBIAN_MIRROR overrides the archive debootstrap uses
# (default: the one this machine's apt is configured with).
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '%s images: %s\n' "$(date -u +%H:%M:%S)" "$*"; }
have() { [ -z "${REBUILD:-}" ] && docker image inspect "$1" >/dev/null 2>&1; }

# The Debian archive this machine's apt uses (deb822 .sources or one-line .list), else debootstrap's own default.
configured_mirror() {
  {
    grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | tr ' ' '\n' | grep -E '^[a-z]+://'
    grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | tr ' ' '\n' | grep -E '^[a-z]+://'
  } | grep -v security | head -n1 || true
}

if ! have vivold-local/debian:bookworm; then
  command -v debootstrap >/dev/null || { echo "debootstrap is needed: apt-get install debootstrap" >&2; exit 1; }
  root=$(mktemp -d /var/tmp/vivold-root.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  mirror=${DEBIAN_MIRROR:-$(configured_mirror)}
  log "debootstrap bookworm (minbase) from ${mirror:-the default archive of debootstrap}"
  debootstrap --variant=minbase bookworm "$root" ${mirror:+"$mirror"} >"$root.log" 2>&1 \
    || { tail -n 30 "$root.log" >&2; exit 1; }
  rm -f "$root.log"
  # What the slim public images leave out too: documentation, manuals, translations, caches.
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$root/etc/apt/apt.conf.d/docker-no-recommends"
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
    "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
    "$root"/var/log/* "$root"/tmp/* "$root"/etc/machine-id
  : >"$root/etc/resolv.conf"
  printf 'vivold-local\n' >"$root/etc/hostname"
  log "importing vivold-local/debian:bookworm"
  tar --numeric-owner -C "$root" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' - vivold-local/debian:bookworm >/dev/null
  rm -rf "$root"
  trap - EXIT
fi

# The builds reach Debian's archive through this machine's own network, as apt on the host does.
for image in python:3.11 postgres:15 redis:7; do
  name=${image%%:*}
  if ! have "vivold-local/$image"; then
    log "building vivold-local/$image"
    docker build --quiet --network host --build-arg DEBIAN_IMAGE=vivold-local/debian:bookworm \
      -t "vivold-local/$image" "$name" >/dev/null
  fi
done
log "local images ready"
