#!/usr/bin/env bash
# up.sh — start a REAL single-node Kubernetes cluster on this machine.
#
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
#   kube-proxy (iptables), containerd v2 + Debian runc, CNI bridge (Debian
#   containernetworking-plugins), CoreDNS (cluster.local only, no upstream).
#
# Binaries come from build.sh (run it first). Everything is kept under
# $RC (default $ROOT/bin/cluster):  run/ holds state (pki,
# etcd data, containerd root, kubelet root, logs, pids). Idempotent: running
# daemons are left alone; a stopped cluster restarts on its kept state.
#
# Network (all on this machine):
#   bridge retbr0: 10.244.0.1/24 (pod gateway) + 10.200.0.1/32 (the node IP)
#   pods 10.244.0.0/24, services 10.96.0.0/16, DNS 10.96.0.10
#   pods get NO default route (only 10.96.0.0/16 and 10.200.0.1 via retbr0),
#   no NAT/masquerade to the outside, FORWARD drops anything to/from a
#   non-cluster interface.
# Ports: etcd 26379/26380, apiserver 10.200.0.1:26443, kcm 26257,
#   scheduler 26259, kubelet 10.200.0.1:26250 (+healthz 26248),
#   kube-proxy 26249/26256, containerd CRI streaming 26010,
#   NodePort range 26300-26399 (bound to 10.200.0.1 only).
#
# Afterwards:  export KUBECONFIG=$RC/run/admin.kubeconfig
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)   # the project checkout

RC=${RC:-$ROOT/bin/cluster}
BIN=$RC/bin RUN=$RC/run IMAGES=$RC/images
PKI=$RUN/pki LOGS=$RUN/logs PIDS=$RUN/pids CONF=$RUN/conf
CSTATE=/run/retention-e2e/containerd        # short path: unix socket limit
SOCK=$CSTATE/containerd.sock
NODE=rc-node NODE_IP=10.200.0.1
POD_CIDR=10.244.0.0/24 POD_GW=10.244.0.1 CLUSTER_CIDR=10.244.0.0/16
SVC_CIDR=10.96.0.0/16 SVC_API_IP=10.96.0.1 DNS_IP=10.96.0.10
BRIDGE=retbr0
APISERVER=https://$NODE_IP:26443
export PATH=$BIN:$PATH

log() { printf '[cluster-up %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
T0=$SECONDS

for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl containerd containerd-shim-runc-v2 ctr; do
  [[ -x $BIN/$b ]] || die "$BIN/$b missing: run build.sh first"
done
[[ -f $IMAGES/pause.tar && -f $IMAGES/coredns.tar ]] || die "images missing: run build.sh first"
command -v runc >/dev/null && [[ -x /usr/lib/cni/bridge ]] || die "apt-get install runc containernetworking-plugins iptables conntrack"
mkdir -p "$PKI" "$LOGS" "$PIDS" "$CONF" "$RUN/etcd" "$RUN/kubelet" "$RUN/cni/net.d" "$RUN/cni/ipam" "$RUN/containerd" "$CSTATE"

# ---------------------------------------------------------------- helpers --
running() { # running NAME -> pid alive and still that binary
  local f=$PIDS/$1.pid pid
  [[ -f $f ]] || return 1
  pid=$(cat "$f"); [[ -d /proc/$pid ]] || return 1
  [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$BIN/$2" ]]
}
start() { # start NAME BINARY ARGS...
  local name=$1 bin=$2; shift 2
  if running "$name" "$bin"; then log "$name already running (pid $(cat "$PIDS/$name.pid"))"; return 0; fi
  log "starting $name"
  setsid "$BIN/$bin" "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
}
wait_for() { # wait_for WHAT SECONDS CMD...
  local what=$1 n=$2; shift 2
  for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 && { log "$what ok (${i}s)"; return 0; }; sleep 1; done
  die "$what not ready after ${n}s"
}
K() { kubectl --kubeconfig "$RUN/admin.kubeconfig" "$@"; }
put() { # put FILE < content: replace FILE only when the content changed
  # (kube-proxy exits when its config file changes; containerd reloads CNI).
  local tmp; tmp=$(mktemp "$1.XXXXXX")
  cat > "$tmp"
  if [[ -f $1 ]] && cmp -s "$tmp" "$1"; then rm -f "$tmp"; else chmod 644 "$tmp"; mv -f "$tmp" "$1"; fi
}

# --------------------------------------------------------- host settings --
# Record the values we change so down.sh can restore them.
if [[ ! -f $RUN/sysctl.orig ]]; then
  for s in net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables vm.overcommit_memory kernel.panic kernel.panic_on_oops; do
    echo "$s=$(sysctl -n $s)"
  done > "$RUN/sysctl.orig"
fi
sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
# The kubelet itself sets vm.overcommit_memory=1 kernel.panic=10 kernel.panic_on_oops=1
# (protectKernelDefaults=false); down.sh restores the recorded values.

if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
  ip link add "$BRIDGE" type bridge
fi
ip link set "$BRIDGE" up
ip addr replace "$POD_GW/24" dev "$BRIDGE"   # replace: idempotent, no grep|pipefail race
ip addr replace "$NODE_IP/32" dev "$BRIDGE"
# Isolation: nothing forwarded between the cluster and any other interface.
iptables -N RET-ISOLATE 2>/dev/null || true
iptables -F RET-ISOLATE
iptables -A RET-ISOLATE -i "$BRIDGE" -o "$BRIDGE" -j RETURN
iptables -A RET-ISOLATE -i "$BRIDGE" -j DROP
iptables -A RET-ISOLATE -o "$BRIDGE" -j DROP
iptables -C FORWARD -j RET-ISOLATE 2>/dev/null || iptables -I FORWARD 1 -j RET-ISOLATE

# -------------------------------------------------------------------- PKI --
cert() { # cert NAME CN O EKU SAN
  local n=$1 cn=$2 o=$3 eku=$4 san=$5
  [[ -f $PKI/$n.crt ]] && return 0
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$n.key" 2>/dev/null
  openssl req -new -key "$PKI/$n.key" -subj "/CN=$cn${o:+/O=$o}" -out "$PKI/$n.csr"
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"; [[ -n $san ]] && echo "subjectAltName=$san"; } > "$PKI/$n.ext"
  openssl x509 -req -in "$PKI/$n.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -extfile "$PKI/$n.ext" -out "$PKI/$n.crt" 2>/dev/null
}
if [[ ! -f $PKI/ca.crt ]]; then
  log "generating PKI"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=realcluster-ca" -days 3650 -out "$PKI/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
fi
cert apiserver kube-apiserver "" serverAuth \
  "IP:$NODE_IP,IP:$SVC_API_IP,IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters clientAuth ""
cert admin realcluster-admin system:masters clientAuth ""
cert kcm system:kube-controller-manager "" clientAuth ""
cert scheduler system:kube-scheduler "" clientAuth ""
cert kubelet "system:node:$NODE" system:nodes clientAuth ""
cert kubelet-serving "$NODE" "" serverAuth "IP:$NODE_IP,DNS:$NODE"
cert kube-proxy system:kube-proxy "" clientAuth ""
[[ -f $PKI/sa.key ]] || { openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null; openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null; }

kubeconfig() { # kubeconfig NAME CERT
  local f=$RUN/$1.kubeconfig
  [[ -f $f ]] && return 0
  cat > "$f" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: realcluster
  cluster:
    server: $APISERVER
    certificate-authority-data: $(base64 -w0 < "$PKI/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 < "$PKI/$2.crt")
    client-key-data: $(base64 -w0 < "$PKI/$2.key")
contexts:
- name: realcluster
  context: {cluster: realcluster, user: $2}
current-context: realcluster
EOF
}
for k in admin kcm scheduler kubelet kube-proxy; do kubeconfig $k $k; done

# ------------------------------------------------------------------- etcd --
start etcd etcd --name rc-etcd --data-dir "$RUN/etcd" \
  --listen-client-urls http://127.0.0.1:26379 --advertise-client-urls http://127.0.0.1:26379 \
  --listen-peer-urls http://127.0.0.1:26380 --initial-advertise-peer-urls http://127.0.0.1:26380 \
  --initial-cluster rc-etcd=http://127.0.0.1:26380 --listen-metrics-urls "" \
  --quota-backend-bytes 4294967296 --log-level warn
wait_for etcd 60 curl -sf http://127.0.0.1:26379/health

# ------------------------------------------------------------- apiserver --
start kube-apiserver kube-apiserver \
  --etcd-servers=http://127.0.0.1:26379 \
  --bind-address=$NODE_IP --advertise-address=$NODE_IP --secure-port=26443 \
  --service-cluster-ip-range=$SVC_CIDR --service-node-port-range=26300-26399 \
  --client-ca-file="$PKI/ca.crt" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types=InternalIP \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
  --allow-privileged=true --profiling=false --v=1
wait_for kube-apiserver 180 K get --raw=/readyz

# ------------------------------------------- controller-manager, scheduler --
start kube-controller-manager kube-controller-manager \
  --kubeconfig="$RUN/kcm.kubeconfig" --authentication-kubeconfig="$RUN/kcm.kubeconfig" --authorization-kubeconfig="$RUN/kcm.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=26257 --leader-elect=false \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --use-service-account-credentials=true --allocate-node-cidrs=false --profiling=false --v=1
start kube-scheduler kube-scheduler \
  --kubeconfig="$RUN/scheduler.kubeconfig" --authentication-kubeconfig="$RUN/scheduler.kubeconfig" --authorization-kubeconfig="$RUN/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=26259 --leader-elect=false --profiling=false --v=1

# ------------------------------------------------------------- containerd --
put "$CONF/cni.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "rcnet",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$RUN/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$POD_GW"}]],
        "routes": [{"dst": "$SVC_CIDR"}, {"dst": "$NODE_IP/32"}]
      }
    }
  ]
}
EOF
put "$RUN/cni/net.d/10-rcnet.conflist" < "$CONF/cni.conflist"
put "$CONF/containerd.toml" <<EOF
version = 3
root = "$RUN/containerd"
state = "$CSTATE"
imports = []   # never pick up /etc/containerd/conf.d of a system containerd
disabled_plugins = ["io.containerd.nri.v1.nri", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[debug]
  address = ""
  level = "warn"
[metrics]
  address = ""

[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = "overlayfs"
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = "localhost/pause:3.10"
  [plugins.'io.containerd.cri.v1.runtime']
    enable_selinux = false
    netns_mounts_under_state_dir = true
    # This VM withholds CAP_SYS_RESOURCE even from root, so no process may
    # lower its oom_score_adj below its parent's (0): the sandbox's -998 made
    # runc fail ("failed to update /proc/self/oom_score_adj: Permission denied",
    # surfacing as "can't get final child's PID from pipe: EOF"). Clamp instead.
    restrict_oom_score_adj = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = "runc"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = "$(command -v runc)"
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ["/usr/lib/cni"]
      conf_dir = "$RUN/cni/net.d"
      max_conf_num = 1
  [plugins.'io.containerd.grpc.v1.cri']
    stream_server_address = "127.0.0.1"
    stream_server_port = "26010"
EOF
start containerd containerd --config "$CONF/containerd.toml"
wait_for containerd 60 ctr -a "$SOCK" version
for img in pause coredns; do
  if ! ctr -a "$SOCK" -n k8s.io images ls -q | grep "^localhost/$img:" >/dev/null; then
    log "importing $img image"
    ctr -a "$SOCK" -n k8s.io images import --no-unpack=false "$IMAGES/$img.tar" >&2
  fi
done
for t in "$IMAGES"/extra/*.tar; do   # optional extra images (e.g. smoke test, operator)
  [[ -f $t ]] || continue
  ctr -a "$SOCK" -n k8s.io images import "$t" >/dev/null && log "imported $(basename "$t")"
done

# ---------------------------------------------------------------- kubelet --
put "$CONF/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 26250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 26248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$PKI/ca.crt"}
authorization: {mode: Webhook}
tlsCertFile: "$PKI/kubelet-serving.crt"
tlsPrivateKeyFile: "$PKI/kubelet-serving.key"
containerRuntimeEndpoint: "unix://$SOCK"
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDNS: ["$DNS_IP"]
clusterDomain: cluster.local
resolvConf: ""
rotateCertificates: false
serializeImagePulls: false
maxPods: 60
evictionHard:
  memory.available: "200Mi"
  nodefs.available: "5%"
  imagefs.available: "5%"
  nodefs.inodesFree: "2%"
imageGCHighThresholdPercent: 95
imageGCLowThresholdPercent: 90
EOF
start kubelet kubelet --config="$CONF/kubelet.yaml" --kubeconfig="$RUN/kubelet.kubeconfig" \
  --root-dir="$RUN/kubelet" --cert-dir="$PKI/kubelet-certs" --hostname-override=$NODE --node-ip=$NODE_IP --v=1

# ------------------------------------------------------------- kube-proxy --
put "$CONF/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: "$RUN/kube-proxy.kubeconfig"}
mode: iptables
hostnameOverride: $NODE
clusterCIDR: $CLUSTER_CIDR
healthzBindAddress: 127.0.0.1:26256
metricsBindAddress: 127.0.0.1:26249
nodePortAddresses: ["$NODE_IP/32"]
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
start kube-proxy kube-proxy --config="$CONF/kube-proxy.yaml" --v=1

wait_for "node $NODE registered" 120 K get node $NODE
K wait --for=condition=Ready node/$NODE --timeout=180s >/dev/null || die "node not Ready (see $LOGS/kubelet.log)"
log "node $NODE Ready"

# ------------------------------------------------------------------ CoreDNS --
COREDNS_IMAGE=$(ctr -a "$SOCK" -n k8s.io images ls -q | grep '^localhost/coredns:' | head -1)
K apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
    .:53 {
        errors
        health :8080
        ready :8181
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
            ttl 30
        }
        cache 30
        loadbalance
        reload
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: coredns
      dnsPolicy: Default
      priorityClassName: system-cluster-critical
      containers:
      - name: coredns
        image: $COREDNS_IMAGE
        imagePullPolicy: Never
        args: ["-conf", "/etc/coredns/Corefile"]
        ports:
        - {name: dns, containerPort: 53, protocol: UDP}
        - {name: dns-tcp, containerPort: 53, protocol: TCP}
        readinessProbe: {httpGet: {path: /ready, port: 8181}, periodSeconds: 5}
        livenessProbe: {httpGet: {path: /health, port: 8080}, initialDelaySeconds: 30, periodSeconds: 20}
        resources: {requests: {cpu: 10m, memory: 30Mi}, limits: {memory: 170Mi}}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
        volumeMounts: [{name: config, mountPath: /etc/coredns, readOnly: true}]
      volumes: [{name: config, configMap: {name: coredns}}]
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: $DNS_IP
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
EOF
K -n kube-system rollout status deploy/coredns --timeout=180s >/dev/null || die "coredns not ready"
log "CoreDNS ready"
log "cluster up in $((SECONDS - T0))s — export KUBECONFIG=$RUN/admin.kubeconfig"
