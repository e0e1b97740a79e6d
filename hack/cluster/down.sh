#!/usr/bin/env bash
# down.sh [--purge] — stop the realcluster started by up.sh and undo its host
# changes: pods/containers, kubelet, kube-proxy iptables rules, control plane,
# containerd + its shims, mounts, cgroups, the retbr0 bridge, the RET-ISOLATE
# FORWARD rule, and the sysctls up.sh (and the kubelet) changed.
# Only processes this cluster started are signalled, by PID.
# Keeps state (etcd data, PKI, images in containerd) for a fast warm restart;
# --purge also deletes $RC/run (binaries and image archives are kept).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)   # the project checkout

RC=${RC:-$ROOT/bin/cluster}
BIN=$RC/bin RUN=$RC/run PIDS=$RC/run/pids
CSTATE=/run/retention-e2e/containerd
SOCK=$CSTATE/containerd.sock
BRIDGE=retbr0
log() { printf '[cluster-down %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

stop() { # stop NAME BINARY [TIMEOUT]
  local f=$PIDS/$1.pid pid
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  if [[ -d /proc/$pid && "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$BIN/$2" ]]; then
    log "stopping $1 (pid $pid)"
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < ${3:-20} * 5; i++)); do [[ -d /proc/$pid ]] || break; sleep 0.2; done
    [[ -d /proc/$pid ]] && { log "$1 still alive, SIGKILL"; kill -KILL "$pid" 2>/dev/null; sleep 0.5; }
  fi
  rm -f "$f"
}

# 1. kubelet first, so it does not restart what we stop next.
stop kubelet kubelet 20

# 2. Every container and sandbox: kill and delete the tasks through containerd
#    (container records stay; the kubelet recreates sandboxes on the next up).
if [[ -S $SOCK ]] && [[ -x $BIN/ctr ]]; then
  for id in $("$BIN/ctr" -a "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
    "$BIN/ctr" -a "$SOCK" -n k8s.io tasks kill -s SIGKILL "$id" >/dev/null 2>&1
  done
  sleep 2
  for id in $("$BIN/ctr" -a "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
    "$BIN/ctr" -a "$SOCK" -n k8s.io tasks delete -f "$id" >/dev/null 2>&1
  done
fi

# 3. kube-proxy, then remove its iptables rules.
stop kube-proxy kube-proxy 10
[[ -x $BIN/kube-proxy ]] && "$BIN/kube-proxy" --cleanup >/dev/null 2>&1 && log "kube-proxy rules cleaned"

# 4. containerd, then any shim it left (shims carry our socket in their args).
stop containerd containerd 20
for p in /proc/[0-9]*; do
  pid=${p#/proc/}
  [[ "$(readlink "$p/exe" 2>/dev/null)" == "$BIN/containerd-shim-runc-v2" ]] || continue
  tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q -- "$SOCK" || continue
  log "killing leftover shim $pid"; kill -KILL "$pid" 2>/dev/null
done

# 5. Control plane.
stop kube-scheduler kube-scheduler 10
stop kube-controller-manager kube-controller-manager 10
stop kube-apiserver kube-apiserver 20
stop etcd etcd 20

# 6. Mounts (pod volumes, rootfs overlays, shm, netns) under our dirs.
for _ in 1 2 3; do
  mapfile -t mnts < <(findmnt -rn -o TARGET | grep -E "^($RUN|/run/retention-e2e)(/|$)" | sort -r)
  ((${#mnts[@]})) || break
  for m in "${mnts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
done

# 7. cgroups the kubelet created (v1 hierarchies + unified), leaves first.
#    (k8s.io/ is where `ctr run` in the k8s.io namespace puts containers.)
for h in /sys/fs/cgroup/*/; do
  for d in kubepods k8s.io; do
    [[ -d $h/$d ]] && find "$h/$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
done

# 8. Network: bridge (veths went with their netns), isolation rule.
ip link show "$BRIDGE" >/dev/null 2>&1 && { ip link del "$BRIDGE"; log "bridge $BRIDGE removed"; }
iptables -D FORWARD -j RET-ISOLATE 2>/dev/null && { iptables -F RET-ISOLATE; iptables -X RET-ISOLATE; }

# 8b. The kubelet's own chains (kube-proxy --cleanup leaves them):
#     KUBE-FIREWALL (filter, jumped to from INPUT/OUTPUT), KUBE-KUBELET-CANARY
#     (filter/nat/mangle), KUBE-IPTABLES-HINT (mangle); IPv4 and IPv6.
for ipt in iptables ip6tables; do
  command -v $ipt >/dev/null || continue
  while $ipt -D INPUT -j KUBE-FIREWALL 2>/dev/null; do :; done
  while $ipt -D OUTPUT -j KUBE-FIREWALL 2>/dev/null; do :; done
  for t in filter nat mangle; do
    for c in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
      $ipt -t $t -F $c 2>/dev/null && $ipt -t $t -X $c 2>/dev/null
    done
  done
done

# 9. sysctls back to what they were before up.sh.
if [[ -f $RUN/sysctl.orig ]]; then
  while IFS= read -r kv; do sysctl -qw "$kv" 2>/dev/null; done < "$RUN/sysctl.orig"
  rm -f "$RUN/sysctl.orig"
  log "sysctls restored"
fi

if [[ ${1:-} == --purge ]]; then
  rm -rf "$RUN" /run/retention-e2e
  log "state purged ($RUN)"
fi
left=$(for p in /proc/[0-9]*; do readlink "$p/exe" 2>/dev/null; done | grep -c "^$BIN/" || true)
log "done; processes still running from $BIN: $left"
