#!/usr/bin/env bash
# Build local stand-ins for the public base images dockfix's real-build checks need.
#
# Why: the machines dockfix is verified on reach Debian's apt mirror and PyPI but no container
# registry, so `FROM python:3.11-slim` cannot be pulled. We debootstrap a minimal Debian bookworm
# (Python 3.11, pip, apt, passwd for useradd/groupadd) and commit it into buildah's storage as
# docker.io/library/python:3.11-slim, the name `FROM python:3.11-slim` resolves to.
# It is a stand-in, not the official image: same Python minor, same PATH/LANG/CMD conventions,
# a Debian-packaged interpreter under /usr/bin linked from /usr/local/bin.
#
# Idempotent: installs buildah/debootstrap (and strace, for tests/prover/test_reads.py) only when missing, reuses the cached root file system
# tarball (.cache/stand-in-bases/), and does nothing when the image is already in storage.
#
# Usage: tools/stand-in-bases.sh [--deps-only]
# Environment: DOCKFIX_CACHE (default <repo>/.cache), DEBIAN_MIRROR (default: the machine's
# configured Debian mirror, else http://deb.debian.org/debian).
set -euo pipefail

IMAGE=docker.io/library/python:3.11-slim
SUITE=bookworm
PACKAGES=python3,python3-pip,ca-certificates,passwd

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${DOCKFIX_CACHE:-$repo/.cache}/stand-in-bases
tarball=$cache/python-3.11-slim.rootfs.tar

# Scratch directories under the cache, removed on any exit (a failed debootstrap included).
scratch=()
trap 'if [ ${#scratch[@]} -gt 0 ]; then as_root rm -rf "${scratch[@]}"; fi' EXIT

log() { printf 'stand-in-bases: %s\n' "$*" >&2; }

# apt-get, debootstrap and buildah's system storage need root; the tests and `make` may not be.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        log "needs root (or sudo) for: $*"
        return 1
    fi
}

ensure_deps() {
    local missing=()
    command -v buildah >/dev/null 2>&1 || missing+=(buildah)
    command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
    # strace: the ground truth of which files a command reads (tests/prover/test_reads.py)
    command -v strace >/dev/null 2>&1 || missing+=(strace)
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    log "installing ${missing[*]} with apt-get"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

# The first Debian (not security) mirror in the machine's apt configuration: the build machines
# reach deb.debian.org or a local mirror, and debootstrap must use the one that answers.
debian_mirror() {
    if [ -n "${DEBIAN_MIRROR:-}" ]; then
        echo "$DEBIAN_MIRROR"
        return
    fi
    local uri
    uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
          | awk '/^URIs:/ {for (i = 2; i <= NF; i++) print $i}' \
          | grep -v -- '-security' | grep -E '/debian/?$' | head -n1 || true)
    if [ -z "$uri" ]; then
        uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
              | awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) {print $i; break}}' \
              | grep -v -- '-security' | grep -E '/debian/?$' | head -n1 || true)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

# The recipe below, by name: an image in storage made by another recipe is rebuilt (from the
# cached root file system tarball, in seconds).
RECIPE="python:3.11-slim from debootstrap bookworm; PATH as the official image (v2)"

image_present() {
    [ "$(as_root buildah inspect --type image --format '{{index .OCIv1.Config.Labels "org.dockfix.stand-in"}}' \
        "$IMAGE" 2>/dev/null)" = "$RECIPE" ]
}

make_rootfs_tarball() {
    local work root mirror
    mkdir -p "$cache"
    work=$(mktemp -d "$cache/debootstrap.XXXXXX")
    scratch+=("$work")
    root=$work/root
    mirror=$(debian_mirror)
    log "debootstrap $SUITE from $mirror (about a minute)"
    as_root debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$mirror" \
        >"$work/debootstrap.log" 2>&1 || { tail -n 20 "$work/debootstrap.log" >&2; return 1; }

    # pip must install into the system interpreter, as it does in the official image.
    as_root rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED
    for name in python python3; do as_root ln -sf /usr/bin/python3 "$root/usr/local/bin/$name"; done
    for name in pip pip3; do as_root ln -sf /usr/bin/pip3 "$root/usr/local/bin/$name"; done
    # Like the official slim image: apt sources kept (Dockerfiles run apt-get update), package
    # lists and downloaded .debs dropped.
    as_root find "$root/var/cache/apt/archives" "$root/var/lib/apt/lists" -type f -delete
    for tool in useradd groupadd python3 pip3 apt-get; do
        as_root chroot "$root" sh -c 'command -v "$1"' sh "$tool" >/dev/null \
            || { log "the root file system lacks $tool"; return 1; }
    done

    as_root tar --numeric-owner --sort=name -C "$root" -cf "$tarball.part" .
    as_root mv "$tarball.part" "$tarball"
}

build_image() {
    local ctx
    ctx=$(mktemp -d "$cache/context.XXXXXX")
    scratch+=("$ctx")
    ln "$tarball" "$ctx/rootfs.tar" 2>/dev/null || cp "$tarball" "$ctx/rootfs.tar"
    cat >"$ctx/Containerfile" <<'CONTAINERFILE'
FROM scratch
ADD rootfs.tar /
# The official image's PATH: its `ENV PATH /usr/local/bin:$PATH` over BuildKit's default PATH
# (so /usr/local/bin is there twice; dockfix.model.bases says the same).
ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8
LABEL org.dockfix.stand-in="@RECIPE@"
CMD ["python3"]
CONTAINERFILE
    sed -i "s|@RECIPE@|$RECIPE|" "$ctx/Containerfile"
    log "committing $IMAGE"
    as_root buildah bud --isolation chroot --pull=never --format docker --quiet \
        -t "$IMAGE" -f "$ctx/Containerfile" "$ctx" >/dev/null
}

main() {
    ensure_deps
    [ "${1:-}" = --deps-only ] && return 0
    if image_present; then
        log "$IMAGE already present ($RECIPE)"
        return 0
    fi
    mkdir -p "$cache"
    if [ -s "$tarball" ]; then
        log "reusing $tarball"
    else
        make_rootfs_tarball
    fi
    build_image
    image_present || { log "$IMAGE missing after build"; return 1; }
    log "done: $IMAGE"
}

main "$@"
