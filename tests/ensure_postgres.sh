#!/bin/sh
# `make postgres`: the PostgreSQL server binaries the shared-store tests start a throwaway
# server from (tests/pg_server.py looks in the same places). Missing, and root with apt:
# installs Debian's `postgresql`, with no cluster service left running or started at boot.
# Otherwise one loud line: the PostgreSQL tests will be SKIPPED.
set -u

found() {
    for bin in /usr/lib/postgresql/*/bin; do
        [ -x "$bin/initdb" ] && [ -x "$bin/postgres" ] && return 0
    done
    command -v pg_config >/dev/null 2>&1 || return 1
    bin=$(pg_config --bindir 2>/dev/null) || return 1
    [ -x "$bin/initdb" ] && [ -x "$bin/postgres" ]
}

warn() {
    echo "WARNING: $1: the PostgreSQL store tests will be SKIPPED" \
        "(install Debian's postgresql, or run make test as root with apt-get)"
}

found && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    warn "PostgreSQL server binaries not found, and not root with apt-get to install them"
    exit 0
fi

echo "PostgreSQL server binaries not found: installing Debian's postgresql (apt-get)"
# Debian's postinst would start the cluster it creates: policy-rc.d answers 101 (not now).
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
fi
before=$(ls /etc/postgresql/*/*/start.conf 2>/dev/null)
{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } \
    >/dev/null 2>&1
status=$?
[ -n "$made_policy" ] && rm -f "$policy"
# The cluster the package made is not ours to run: never started at boot either.
for conf in /etc/postgresql/*/*/start.conf; do
    [ -e "$conf" ] || continue
    case "$before" in *"$conf"*) ;; *) echo manual >"$conf" ;; esac
done
if [ "$status" != 0 ] || ! found; then
    warn "could not install Debian's postgresql (apt-get exit $status)"
fi
exit 0
