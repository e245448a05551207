#!/usr/bin/env bash
# Builds the local sandbox base image (`npm run sandbox:image`).
#
# No image registry is reachable, so the image is made from Debian packages: the statically
# linked busybox from `busybox-static`, unpacked into a minimal root filesystem and loaded with
# `docker import`. The root filesystem holds:
#   /bin/busybox and one symlink per applet (sh, echo, cat, wget, nc, id, ...),
#   /usr/bin and /sbin -> /bin, so tools that hard-code those paths still resolve,
#   /tmp (1777) as the mount point for the sandbox's tmpfs, /proc /sys /dev mount points,
#   /etc/passwd and /etc/group with root and the unprivileged user 65534 "sandbox".
# The tar stream is deterministic (sorted names, fixed owner and mtime), so two builds from the
# same package version give the same layer.
#
# It also installs Docker's default seccomp profile, which the container tiers pass explicitly
# with every container (runtime/sandbox/seccomp.ts): extracted from Debian's
# golang-github-docker-docker-dev (built from the same source package as docker.io, so it is the
# engine's own default) into $XDG_DATA_HOME/symbi/docker-default-seccomp.json (default
# ~/.local/share/...). That step runs even when the image already exists.
#
# Usage: scripts/build-sandbox-image.sh [--force] [--name IMAGE] [--print-name]
#   --force       rebuild even if the image already exists (default: skip, the script is idempotent)
#   --name IMAGE  tag to build instead of the default
#   --print-name  print the default image name and exit
# Exit codes: 0 built or already present; 1 failure (the message says which step).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

# The default image name has one home: DEFAULT_SANDBOX_IMAGE in formats/sandbox-manifest.ts.
# Read it from there so the script and the TypeScript can never disagree.
default_name="$(sed -n 's/^export const DEFAULT_SANDBOX_IMAGE = "\([^"]*\)";.*/\1/p' "$repo/formats/sandbox-manifest.ts")"
if [[ -z "$default_name" ]]; then
  echo "build-sandbox-image: cannot read DEFAULT_SANDBOX_IMAGE from formats/sandbox-manifest.ts" >&2
  exit 1
fi

name="$default_name"
force=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --force) force=1 ;;
    --name) shift; name="${1:?--name needs a value}" ;;
    --print-name) echo "$default_name"; exit 0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-sandbox-image: unknown argument: $1" >&2; exit 1 ;;
  esac
  shift
done

if ! command -v docker >/dev/null 2>&1; then
  echo "build-sandbox-image: the docker client is not installed (apt-get install docker.io)" >&2
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  echo "build-sandbox-image: the Docker daemon is not reachable (is dockerd running?)" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# apt-get download needs package lists; fetch them only when the first attempt finds nothing.
download() {
  if ! apt-get download "$1" >/dev/null 2>&1; then
    echo "build-sandbox-image: updating apt package lists"
    apt-get update -q >/dev/null
    apt-get download "$1" >/dev/null
  fi
}

data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
profile="$data_home/symbi/docker-default-seccomp.json"
if [[ $force -eq 1 || ! -s "$profile" ]]; then
  download golang-github-docker-docker-dev
  dev_deb="$(ls golang-github-docker-docker-dev_*.deb)"
  dpkg-deb --fsys-tarfile "$dev_deb" |
    tar -x -O ./usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json >"$work/seccomp.json"
  mkdir -p "$(dirname "$profile")"
  install -m 0644 "$work/seccomp.json" "$profile"
  echo "build-sandbox-image: Docker's default seccomp profile ($dev_deb) -> $profile"
fi

if [[ $force -eq 0 ]] && docker image inspect "$name" >/dev/null 2>&1; then
  echo "build-sandbox-image: $name already exists (use --force to rebuild)"
  exit 0
fi

download busybox-static
deb="$(ls busybox-static_*.deb)"
echo "build-sandbox-image: using $deb"
dpkg-deb -x "$deb" pkg

rootfs="$work/rootfs"
mkdir -p "$rootfs"/{bin,etc,tmp,proc,sys,dev}
install -m 0755 pkg/bin/busybox "$rootfs/bin/busybox"
# One symlink per applet, all in /bin (busybox --list prints bare applet names).
for applet in $("$rootfs/bin/busybox" --list); do
  [[ "$applet" == "busybox" ]] && continue
  ln -sf busybox "$rootfs/bin/$applet"
done
mkdir -p "$rootfs/usr"
ln -s ../bin "$rootfs/usr/bin"
ln -s bin "$rootfs/sbin"
chmod 1777 "$rootfs/tmp"
cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
sandbox:x:65534:65534:sandbox:/tmp:/bin/sh
EOF
cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
sandbox:x:65534:
EOF
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group"

version="$(dpkg-deb -f "$deb" Version)"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -c . |
  docker import \
    --change 'ENV PATH=/bin' \
    --change 'USER 65534:65534' \
    --change 'WORKDIR /tmp' \
    --change 'CMD ["/bin/sh"]' \
    --change "LABEL dev.symbi.sandbox-image=1 dev.symbi.busybox-version=$version" \
    --message "symbi sandbox base image (busybox-static $version)" \
    - "$name" >/dev/null

echo "build-sandbox-image: built $name ($(docker image inspect --format '{{.Size}}' "$name") bytes, busybox $version)"
