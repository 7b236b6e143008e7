#!/usr/bin/env bash
# Installs everything Berth and its tests use on a fresh Debian 12 machine (run as root), then builds.
# Idempotent: packages already present are kept, npm ci reinstalls exactly the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  docker.io busybox-static          # container runtime + the image we build locally (no registry here)
  btrfs-progs xfsprogs e2fsprogs     # local pools: btrfs subvolumes + quotas, filesystems on block volumes
  util-linux mount procps coreutils  # losetup, mount, unshare/nsenter/setpriv/script (task namespaces, exec); pgrep in tests
  nfs-ganesha nfs-ganesha-vfs rpcbind libnfs-utils   # NFS plugin: server + user-space client
  tgt libiscsi-bin libnbd-bin qemu-utils qemu-block-extra fuse3   # iSCSI plugin: target + user-space initiator
  restic                             # backup benchmark reference
  time ca-certificates
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "setup: installing npm packages"
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
echo "setup: done"
