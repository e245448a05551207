#!/usr/bin/env bash
# Builds the tool image and the runtime image (`npm run runtime:image`).
#
# No image registry is reachable, so both are made from Debian packages and the npm registry
# only, and loaded with `docker import` / `podman import`:
#
#   tool image (TOOLS_IMAGE in formats/images.ts): a Debian root filesystem made by
#     mmdebstrap (variant "essential": coreutils, grep, sed, tar, util-linux, ...) plus git, jq,
#     curl, wget, gawk and ca-certificates. User 65534 (nobody), working directory /tmp.
#   runtime image (DEFAULT_RUNTIME_IMAGE): the same root filesystem plus
#     /opt/node   Node.js from the npm package node-linux-<arch> (the official binaries,
#                 repackaged on the npm registry; version and integrity pinned below),
#     /opt/symbi  this checkout's dist/ with its production dependencies (`npm ci --omit=dev`),
#     /usr/local/bin/node and /usr/local/bin/symbi, and the user "symbi" (RUNTIME_UID in
#     formats/pod.ts) that runs the runtime in a Kubernetes Job (the tools there run as the
#     manifest's user; compiler/emit/kubernetes.ts).
#     Its label dev.symbi.source is a hash of what went into /opt/symbi, so a stale image is
#     noticed (`--check`) and only the runtime layer is rebuilt when the code changes.
#
# Both root filesystems are packed as ordered tar streams (sorted names, numeric owners, mtimes
# clamped to SOURCE_DATE_EPOCH). Each import still makes a new image id (the image configuration
# records when it was made), which is why the audit log records ids, not tags.
#
# Usage: scripts/build-runtime-images.sh [--force] [--engines docker,podman] [--check] [--print-names]
#   --force          rebuild both images even if they are present and fresh
#   --engines LIST   engines to import into (default: docker); each must be reachable
#   --check          exit 0 if every engine has both images and the runtime image is fresh, else 1
#   --print-names    print the two image names and exit
# Needs: mmdebstrap (apt-get install mmdebstrap), npm, and root (mmdebstrap's root mode).
# Exit codes: 0 built, present or fresh; 1 failure or stale (the message says which step).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
say() { echo "build-runtime-images: $*" >&2; }
die() { say "$*"; exit 1; }

# The image names have one home: formats/images.ts.
read_const() {
  sed -n "s/^export const $1 = \"\\([^\"]*\\)\";.*/\\1/p" "$repo/formats/images.ts"
}
tools_image="$(read_const TOOLS_IMAGE)"
runtime_image="$(read_const DEFAULT_RUNTIME_IMAGE)"
[[ -n "$tools_image" && -n "$runtime_image" ]] || die "cannot read the image names from formats/images.ts"

# Node.js for the runtime image: Node >= 20.19 (package.json engines), pinned with the npm
# registry's integrity of each architecture's package.
node_version="20.20.2"
declare -A node_integrity=(
  [x64]="sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ=="
)
# The runtime's own user (formats/pod.ts); the tools run as the manifests' users.
runtime_uid="$(sed -n 's/^export const RUNTIME_UID = \([0-9]*\);.*/\1/p' "$repo/formats/pod.ts")"
[[ -n "$runtime_uid" ]] || die "cannot read RUNTIME_UID from formats/pod.ts"
tool_packages="git,jq,curl,wget,gawk,ca-certificates,libstdc++6"

force=0
check=0
engines="docker"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --force) force=1 ;;
    --check) check=1 ;;
    --engines) shift; engines="${1:?--engines needs a value}" ;;
    --print-names) echo "$tools_image $runtime_image"; exit 0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
  shift
done
IFS=',' read -r -a engine_list <<<"$engines"
for e in "${engine_list[@]}"; do
  case "$e" in
    docker|podman) command -v "$e" >/dev/null 2>&1 || die "$e is not installed" ;;
    *) die "unknown engine: $e (docker or podman)" ;;
  esac
  timeout 20 "$e" info >/dev/null 2>&1 || die "the $e engine is not reachable"
done

# What goes into /opt/symbi, hashed: the lock file and every compiled file the runtime needs.
[[ -f "$repo/dist/cli/symbi.js" ]] || die "dist/ is missing: run npm run build first"
runtime_files() {
  (cd "$repo" && { echo package.json; echo package-lock.json;
    find dist -type f ! -name '*.map' ! -path 'dist/bench/*' ! -path 'dist/test/*' | LC_ALL=C sort; })
}
source_hash="$(cd "$repo" && runtime_files | xargs sha256sum | sha256sum | cut -c1-64)"

copy_image() { # from to image: save | load keeps the image id
  "$1" save "$3" | "$2" load -q >/dev/null
  # Podman names a loaded unqualified image localhost/NAME; both engines resolve NAME to it.
  say "$2: loaded $3 from $1 ($("$2" image inspect --format '{{.Id}}' "$3"))"
}

label_of() { # engine image label
  "$1" image inspect --format "{{ index .Config.Labels \"$3\" }}" "$2" 2>/dev/null || true
}
fresh_in() { # engine
  [[ -n "$(label_of "$1" "$tools_image" dev.symbi.tools-image)" ]] &&
    [[ "$(label_of "$1" "$runtime_image" dev.symbi.source)" == "$source_hash" ]]
}

if [[ $check -eq 1 ]]; then
  for e in "${engine_list[@]}"; do
    fresh_in "$e" || { say "$e: $tools_image or $runtime_image is missing or stale (run npm run runtime:image)"; exit 1; }
  done
  say "fresh: $tools_image, $runtime_image (source $source_hash)"
  exit 0
fi
if [[ $force -eq 0 ]]; then
  # Fresh somewhere: copy to the engines that lack it, instead of building again.
  fresh_from=""
  for e in "${engine_list[@]}"; do if fresh_in "$e"; then fresh_from="$e"; break; fi; done
  if [[ -n "$fresh_from" ]]; then
    for e in "${engine_list[@]}"; do
      fresh_in "$e" && continue
      copy_image "$fresh_from" "$e" "$tools_image"
      copy_image "$fresh_from" "$e" "$runtime_image"
    done
    say "$tools_image and $runtime_image are present and fresh (--force rebuilds)"
    exit 0
  fi
fi

[[ "$(id -u)" == 0 ]] || die "run as root (mmdebstrap builds the root filesystem in root mode)"
command -v mmdebstrap >/dev/null 2>&1 || die "mmdebstrap is not installed (apt-get install mmdebstrap)"
command -v npm >/dev/null 2>&1 || die "npm is not installed"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000

# A deterministic tar stream of a directory on stdout.
pack() { tar --sort=name --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" --clamp-mtime -C "$1" -c .; }

# Imports into the first engine and copies the image to the others.
import_into() { # tar-file image message changes...
  local tarfile="$1" image="$2" message="$3"
  shift 3
  local args=()
  for c in "$@"; do args+=(--change "$c"); done
  local first="${engine_list[0]}"
  "$first" import "${args[@]}" --message "$message" - "$image" <"$tarfile" >/dev/null
  say "$first: imported $image ($("$first" image inspect --format '{{.Id}}' "$image"))"
  for e in "${engine_list[@]:1}"; do copy_image "$first" "$e" "$image"; done
}



rootfs="$work/rootfs"
tools_tar="$work/tools.tar"
tools_from=""
for e in "${engine_list[@]}"; do
  if [[ -n "$(label_of "$e" "$tools_image" dev.symbi.tools-image)" ]]; then tools_from="$e"; break; fi
done
if [[ $force -eq 0 && -n "$tools_from" ]]; then
  # Reuse the tool image (only the runtime layer changed): copy it where it is missing, and
  # start the runtime's root filesystem from its contents.
  say "reusing $tools_image from $tools_from"
  for e in "${engine_list[@]}"; do
    [[ -n "$(label_of "$e" "$tools_image" dev.symbi.tools-image)" ]] || copy_image "$tools_from" "$e" "$tools_image"
  done
  cid="$("$tools_from" create "$tools_image" /bin/true)"
  mkdir -p "$rootfs"
  "$tools_from" export "$cid" | tar -x -C "$rootfs" --numeric-owner
  "$tools_from" rm "$cid" >/dev/null
  # An export adds the engine's own marker file; its empty mount points are the image's anyway.
  rm -f "$rootfs/.dockerenv" "$rootfs/run/.containerenv"
else
  # The host's Debian release (a Debian host has its keyring), else bookworm; SYMBI_DEBIAN_SUITE overrides.
  suite="${SYMBI_DEBIAN_SUITE:-$(. /etc/os-release 2>/dev/null && [[ "${ID:-}" == debian ]] && echo "${VERSION_CODENAME:-}")}"
  suite="${suite:-bookworm}"
  mirror="${SYMBI_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
  security="${SYMBI_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
  say "mmdebstrap $suite (essential + $tool_packages) from $mirror"
  mmdebstrap --quiet --variant=essential --include="$tool_packages" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
    "$suite" "$rootfs" \
    "deb $mirror $suite main" "deb $mirror $suite-updates main" "deb $security $suite-security main" ||
    die "mmdebstrap failed (is the Debian mirror reachable?)"
  # No package manager state or caches are needed at run time.
  rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* "$rootfs"/etc/machine-id
  chmod 1777 "$rootfs/tmp"
  versions="$(chroot "$rootfs" dpkg-query -W -f '${Package}=${Version} ' git jq curl coreutils 2>/dev/null || true)"
  pack "$rootfs" >"$tools_tar"
  import_into "$tools_tar" "$tools_image" "symbi tool image (Debian $suite: $versions)" \
    'ENV PATH=/usr/local/bin:/usr/bin:/bin' 'USER 65534:65534' 'WORKDIR /tmp' 'CMD ["/bin/sh"]' \
    "LABEL dev.symbi.tools-image=1 dev.symbi.debian-suite=$suite"
fi

# Node.js from the npm registry, checked against the pinned integrity.
case "$(uname -m)" in
  x86_64) node_arch=x64 ;;
  aarch64) node_arch=arm64 ;;
  *) die "no Node.js package for $(uname -m)" ;;
esac
mkdir -p "$work/npm"
(cd "$work/npm" && npm pack --silent "node-linux-$node_arch@$node_version" >/dev/null) || die "npm pack node-linux-$node_arch@$node_version failed"
node_tgz="$(ls "$work"/npm/node-linux-"$node_arch"-*.tgz)"
want="${node_integrity[$node_arch]:-}"
got="sha512-$(node -e 'process.stdout.write(require("node:crypto").createHash("sha512").update(require("node:fs").readFileSync(process.argv[1])).digest("base64"))' "$node_tgz")"
if [[ -n "$want" && "$got" != "$want" ]]; then die "node-linux-$node_arch@$node_version: integrity $got, expected $want"; fi
mkdir -p "$rootfs/opt/node"
tar -x -z -f "$node_tgz" -C "$rootfs/opt/node" --strip-components=1 --no-same-owner package/bin/node package/LICENSE
chmod 0755 "$rootfs/opt/node/bin/node"
got_version="$("$rootfs/opt/node/bin/node" --version)"
[[ "$got_version" == "v$node_version" ]] || die "the node binary says $got_version, expected v$node_version"

# symbi: the compiled runtime with its production dependencies (no install scripts).
mkdir -p "$rootfs/opt/symbi"
(cd "$repo" && runtime_files | tar -c -T - ) | tar -x -C "$rootfs/opt/symbi" --no-same-owner
(cd "$rootfs/opt/symbi" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) ||
  die "npm ci in the runtime image failed"
mkdir -p "$rootfs/usr/local/bin"
ln -sf /opt/node/bin/node "$rootfs/usr/local/bin/node"
ln -sf /opt/symbi/dist/cli/symbi.js "$rootfs/usr/local/bin/symbi"
grep -q "^symbi:" "$rootfs/etc/passwd" || echo "symbi:x:$runtime_uid:$runtime_uid:symbi runtime:/nonexistent:/usr/sbin/nologin" >>"$rootfs/etc/passwd"
grep -q "^symbi:" "$rootfs/etc/group" || echo "symbi:x:$runtime_uid:" >>"$rootfs/etc/group"
symbi_version="$(chroot "$rootfs" /usr/local/bin/symbi --version)" || die "symbi does not start in the runtime image"

runtime_tar="$work/runtime.tar"
pack "$rootfs" >"$runtime_tar"
import_into "$runtime_tar" "$runtime_image" "symbi runtime image (symbi $symbi_version, node $got_version, on $tools_image)" \
  'ENV PATH=/usr/local/bin:/usr/bin:/bin' "ENV SYMBI_TOOLS_IMAGE=$tools_image" "USER $runtime_uid:$runtime_uid" \
  'WORKDIR /' 'ENTRYPOINT ["symbi"]' \
  "LABEL dev.symbi.runtime-image=1 dev.symbi.source=$source_hash dev.symbi.node-version=$node_version dev.symbi.tools-image-base=$tools_image"
say "done: $tools_image, $runtime_image (symbi $symbi_version, node $got_version)"
