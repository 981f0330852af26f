#!/usr/bin/env bash
# Local Docker Engine + real Kubernetes v1.20.2 (etcd, kube-apiserver, controller-manager,
# scheduler, kubelet/dockershim) on one Debian bookworm machine that reaches only
# Debian's archive and the npm registry.  Everything binds to 127.0.0.1 / unix sockets.
#
#   local-cluster.sh deps      # apt packages (root)
#   local-cluster.sh docker    # start dockerd + build local base images
#   local-cluster.sh build     # fetch Debian's kubernetes source package, build binaries
#   local-cluster.sh k8s       # start etcd, apiserver, kcm, scheduler, kubelet
#   local-cluster.sh up        # all of the above
#   local-cluster.sh down      # stop everything this script started (by pidfile)
#
# Env: BASE (state dir, default /tmp/slipway-k8s), BIN_CACHE (dir holding prebuilt
#      kube-* binaries; skips the Go build when present; default in Slipway's cache),
#      DOCKER_DATA (dockerd's data root: the locally made images; default in the cache),
#      WITH_KUBELET=1 (default 1).
# Adapted for Slipway's tests from a recipe proven on these machines: the binaries and images
# are built once into ~/.cache/slipway (SLIPWAY_CACHE) and reused by later runs.
set -euo pipefail
CACHE=${SLIPWAY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slipway}
BASE=${BASE:-/tmp/slipway-k8s}
BIN=${BIN_CACHE:-$CACHE/k8s-v1.20.2/bin}
DOCKER_DATA=${DOCKER_DATA:-$CACHE/docker-data}
WITH_KUBELET=${WITH_KUBELET:-1}
DOCKER_SOCK=$BASE/docker.sock
ETCD_PORT=${ETCD_PORT:-23790}
API_PORT=${API_PORT:-16444}      # https, token auth
PROXY_PORT=${PROXY_PORT:-16443}  # plain http via `kubectl proxy` (no auth)
KUBELET_PORT=${KUBELET_PORT:-16450}
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$BASE" "$BASE/run" "$BASE/log"
# the Debian archive this machine's apt already uses (first URIs: of the main suite)
debian_mirror() { awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null \
  || awk '/^deb /{print $2; exit}' /etc/apt/sources.list; }
log() { echo "[local-cluster $(date +%T)] $*" >&2; }

start_bg() { # name cmd... ; pidfile in $BASE/run
  local name=$1; shift
  nohup "$@" >"$BASE/log/$name.log" 2>&1 &
  echo $! >"$BASE/run/$name.pid"
}
wait_for() { # seconds cmd...
  local t=$1; shift; local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || { log "timeout waiting for: $*"; return 1; }
    sleep 0.25
  done
}

deps() {
  # once per machine: skip when every tool is there
  # socat and nsenter: the kubelet's port-forward (dockershim) runs them on the node
  if command -v dockerd >/dev/null && command -v debootstrap >/dev/null && command -v etcd >/dev/null && command -v go >/dev/null \
    && command -v kubectl >/dev/null && command -v socat >/dev/null && command -v nsenter >/dev/null \
    && [ -d /usr/share/gocode/src/github.com/modern-go/reflect2 ] && [ -d /usr/share/gocode/src/github.com/json-iterator/go ]; then
    return 0
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends \
    docker.io debootstrap etcd-server golang-go rsync make gcc libc6-dev curl ca-certificates \
    openssl xz-utils golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev socat util-linux >/dev/null
}

docker_up() {
  if ! [ -S "$DOCKER_SOCK" ] || ! docker -H "unix://$DOCKER_SOCK" version >/dev/null 2>&1; then
    mkdir -p "$DOCKER_DATA" "$BASE/docker-exec"
    # no bridge, no iptables: containers get only loopback (or --network host)
    start_bg dockerd dockerd --host "unix://$DOCKER_SOCK" --data-root "$DOCKER_DATA" \
      --exec-root "$BASE/docker-exec" --pidfile "$BASE/run/dockerd.real.pid" \
      --iptables=false --ip6tables=false --bridge=none --ip-forward=false --ip-masq=false
    wait_for 30 docker -H "unix://$DOCKER_SOCK" version
  fi
  export DOCKER_HOST=unix://$DOCKER_SOCK
  if ! docker image inspect local/busybox:1 >/dev/null 2>&1; then
    local d; d=$(mktemp -d); (cd "$d" && apt-get download -qq busybox-static)
    mkdir -p "$d/x" "$d/r/bin" "$d/r/etc" "$d/r/tmp" "$d/r/proc" "$d/r/sys" "$d/r/dev"
    dpkg-deb -x "$d"/busybox-static_*.deb "$d/x"; cp "$d/x/bin/busybox" "$d/r/bin/"
    for a in $("$d/r/bin/busybox" --list); do [ -e "$d/r/bin/$a" ] || ln -s busybox "$d/r/bin/$a"; done
    echo 'root:x:0:0:root:/root:/bin/sh' >"$d/r/etc/passwd"; echo 'root:x:0:' >"$d/r/etc/group"
    tar -C "$d/r" -c . | docker import -c 'CMD ["/bin/sh"]' - local/busybox:1 >/dev/null
    docker tag local/busybox:1 local/busybox:latest; rm -rf "$d"
  fi
  if ! docker image inspect local/debian:bookworm >/dev/null 2>&1; then
    local r=$BASE/rootfs; rm -rf "$r"
    debootstrap --variant=minbase --include=python3 bookworm "$r" "$(debian_mirror)" >"$BASE/log/debootstrap.log"
    rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*
    tar -C "$r" -c . | docker import -c 'CMD ["/bin/bash"]' - local/debian:bookworm >/dev/null
    rm -rf "$r"
  fi
  if [ "$WITH_KUBELET" = 1 ] && ! docker image inspect k8s.gcr.io/pause:3.2 >/dev/null 2>&1; then
    local p; p=$(mktemp -d)
    cat >"$p/pause.c" <<'EOF'
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
static void die(int s) { _exit(0); }
static void reap(int s) { while (waitpid(-1, 0, WNOHANG) > 0) ; }
int main(void) {
  struct sigaction a = {0}; a.sa_handler = die; sigaction(SIGINT, &a, 0); sigaction(SIGTERM, &a, 0);
  a.sa_handler = reap; a.sa_flags = SA_NOCLDSTOP; sigaction(SIGCHLD, &a, 0);
  for (;;) pause();
}
EOF
    gcc -Os -static -o "$p/pause" "$p/pause.c"
    printf 'FROM scratch\nCOPY pause /pause\nENTRYPOINT ["/pause"]\n' >"$p/Dockerfile"
    DOCKER_BUILDKIT=0 docker build -q -t k8s.gcr.io/pause:3.2 "$p" >/dev/null 2>&1; rm -rf "$p"
  fi
  log "docker ready: DOCKER_HOST=unix://$DOCKER_SOCK"
}

build() {
  local want="kube-apiserver kube-controller-manager"
  [ "$WITH_KUBELET" = 1 ] && want="$want kube-scheduler kubelet"
  local missing=0; for b in $want; do [ -x "$BIN/$b" ] || missing=1; done
  [ $missing = 0 ] && { log "binaries present in $BIN"; return; }
  local src=$BASE/src; mkdir -p "$src"; cd "$src"
  # Debian bookworm's 'kubernetes' source package = full upstream v1.20.2 tree incl. vendor/
  # (Debian only builds kubectl from it).  Find the current .orig.tar.gz + sha256 in Sources.
  local M para dir sha file
  M=$(debian_mirror)
  para=$(curl -fsS "$M/dists/bookworm/main/source/Sources.xz" | xz -dc | awk -v RS= '/^Package: kubernetes\n/')
  dir=$(printf '%s\n' "$para" | awk '/^Directory:/{print $2; exit}')
  read -r sha file < <(printf '%s\n' "$para" | awk '/^Checksums-Sha256:/{f=1;next} /^[A-Za-z]/{f=0} f && $3 ~ /orig\.tar/ {print $1, $3; exit}')
  curl -fsS -o "$file" "$M/$dir/${file//+/%2B}"
  echo "$sha  $file" | sha256sum -c --quiet
  rm -rf kubernetes-*/; tar xzf "$file"; cd kubernetes-*/
  # Go 1.19 vs k8s 1.20's vendored reflect2 v1.0.1 => SIGSEGV on map encoding (CRDs...). Use Debian's 1.0.2/1.1.12.
  for d in github.com/modern-go/reflect2 github.com/json-iterator/go; do
    rm -rf "vendor/$d"; mkdir -p "vendor/$d"
    rsync -a --exclude '*_test.go' --exclude '*_tests/' --exclude extra/ "/usr/share/gocode/src/$d/" "vendor/$d/"
  done
  # kubelet: this sandbox forbids negative oom_score_adj and we never touch host sysctls; allow node IP 127.0.0.1
  sed -i 's/^\tdefaultSandboxOOMAdj int = -998$/\tdefaultSandboxOOMAdj int = 0/' pkg/kubelet/dockershim/docker_sandbox.go
  sed -i 's/^\tguaranteedOOMScoreAdj int = -997$/\tguaranteedOOMScoreAdj int = 0/' pkg/kubelet/qos/policy.go
  sed -i 's/^\tb := KernelTunableModify$/\tb := KernelTunableWarn/' pkg/kubelet/cm/container_manager_linux.go
  sed -i 's/return fmt.Errorf("nodeIP can.t be loopback address")/return nil/' pkg/kubelet/kubelet_node_status.go
  grep -q 'defaultSandboxOOMAdj int = 0' pkg/kubelet/dockershim/docker_sandbox.go && grep -q 'guaranteedOOMScoreAdj int = 0' pkg/kubelet/qos/policy.go \
    && grep -q 'b := KernelTunableWarn' pkg/kubelet/cm/container_manager_linux.go && ! grep -q "nodeIP can't be loopback" pkg/kubelet/kubelet_node_status.go \
    || { log "source patches did not apply"; return 1; }
  cat >"$src/version.env" <<'EOF'
KUBE_GIT_COMMIT='faecb196815e248d3ecfb03c680a4507229c2a56'
KUBE_GIT_TREE_STATE='clean'
KUBE_GIT_VERSION='v1.20.2'
KUBE_GIT_MAJOR='1'
KUBE_GIT_MINOR='20'
EOF
  local what=""; for b in $want; do what+=" cmd/$b"; done
  HOME=$src GOPROXY=off GOFLAGS= CGO_ENABLED=0 KUBE_GIT_VERSION_FILE=$src/version.env \
    make WHAT="${what# }" >"$BASE/log/build.log" 2>&1 || { tail -30 "$BASE/log/build.log"; return 1; }
  mkdir -p "$BIN"; for b in $want; do cp "_output/bin/$b" "$BIN/"; done
  cd "$BASE"; rm -rf "$src"   # ~3 GiB incl. Go build cache
  log "built: $want -> $BIN"
}

k8s_up() {
  local pki=$BASE/pki; mkdir -p "$pki" "$BASE/etcd"
  [ -f "$pki/sa.key" ] || { openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null; openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null; }
  [ -f "$pki/tokens.csv" ] || echo "$(head -c16 /dev/urandom | od -An -tx1 | tr -d ' \n'),admin,admin,system:masters" >"$pki/tokens.csv"
  local token; token=$(cut -d, -f1 "$pki/tokens.csv")
  start_bg etcd etcd --name local --data-dir "$BASE/etcd" --unsafe-no-fsync \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls http://127.0.0.1:$((ETCD_PORT+10)) --initial-advertise-peer-urls http://127.0.0.1:$((ETCD_PORT+10)) \
    --initial-cluster local=http://127.0.0.1:$((ETCD_PORT+10)) --listen-metrics-urls http://127.0.0.1:$((ETCD_PORT+20))
  wait_for 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health"
  start_bg kube-apiserver "$BIN/kube-apiserver" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --secure-port="$API_PORT" --advertise-address=127.0.0.1 --endpoint-reconciler-type=none \
    --cert-dir="$pki" --token-auth-file="$pki/tokens.csv" --authorization-mode=RBAC \
    --service-cluster-ip-range=10.0.0.0/24 --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --kubelet-preferred-address-types=InternalIP
  wait_for 90 curl -skf "https://127.0.0.1:$API_PORT/readyz"
  local kc=$BASE/kubeconfig
  KUBECONFIG=$kc kubectl config set-cluster local --server="https://127.0.0.1:$API_PORT" --certificate-authority="$pki/apiserver.crt" --embed-certs=true >/dev/null
  KUBECONFIG=$kc kubectl config set-credentials admin --token="$token" >/dev/null
  KUBECONFIG=$kc kubectl config set-context local --cluster=local --user=admin >/dev/null
  KUBECONFIG=$kc kubectl config use-context local >/dev/null
  local common=(--kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" --leader-elect=false --port=0 --bind-address=127.0.0.1)
  start_bg kube-controller-manager "$BIN/kube-controller-manager" "${common[@]}" --secure-port=$((API_PORT+1)) \
    --cert-dir="$pki/kcm" --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/apiserver.crt" \
    --use-service-account-credentials=false --controllers='*,-nodeipam,-service,-route,-cloud-node-lifecycle'
  if [ "$WITH_KUBELET" = 1 ]; then
    start_bg kube-scheduler "$BIN/kube-scheduler" "${common[@]}" --secure-port=$((API_PORT+2)) --cert-dir="$pki/sched"
    local k=$BASE/kubelet; mkdir -p "$k"
    start_bg kubelet "$BIN/kubelet" --kubeconfig="$kc" --container-runtime=docker --docker-endpoint="unix://$DOCKER_SOCK" \
      --root-dir="$k" --cert-dir="$k/pki" --experimental-dockershim-root-directory="$k/dockershim" \
      --container-runtime-endpoint="unix://$k/dockershim.sock" --image-service-endpoint="unix://$k/dockershim.sock" \
      --volume-plugin-dir="$k/volume-plugins" --address=127.0.0.1 --port="$KUBELET_PORT" --read-only-port=0 \
      --healthz-bind-address=127.0.0.1 --healthz-port=$((KUBELET_PORT+1)) --node-ip=127.0.0.1 --hostname-override=local-node \
      --cgroups-per-qos=false --enforce-node-allocatable= --cgroup-driver=cgroupfs --make-iptables-util-chains=false \
      --fail-swap-on=false --oom-score-adj=0 --pod-infra-container-image=k8s.gcr.io/pause:3.2 \
      --image-gc-high-threshold=100 --image-gc-low-threshold=99
    wait_for 90 sh -c "KUBECONFIG=$kc kubectl get node local-node -o jsonpath='{.spec.taints}{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"
  fi
  wait_for 60 sh -c "KUBECONFIG=$kc kubectl -n default get serviceaccount default"
  start_bg kubectl-proxy kubectl --kubeconfig="$kc" proxy --address=127.0.0.1 --port="$PROXY_PORT"
  wait_for 20 curl -sf "http://127.0.0.1:$PROXY_PORT/version"
  log "k8s ready: KUBECONFIG=$kc  (or plain http://127.0.0.1:$PROXY_PORT, no auth)"
}

down() {
  for n in kubectl-proxy kubelet kube-scheduler kube-controller-manager kube-apiserver etcd dockerd; do
    local f=$BASE/run/$n.pid
    [ -f "$f" ] || continue
    local pid; pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      if [ "$n" = dockerd ] && command -v docker >/dev/null; then  # remove pod/test containers first
        ids=$(docker -H "unix://$DOCKER_SOCK" ps -aq 2>/dev/null || true); [ -z "$ids" ] || docker -H "unix://$DOCKER_SOCK" rm -f $ids >/dev/null 2>&1 || true
      fi
      kill "$pid"; for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" || true
    fi
    rm -f "$f"
  done
  # kubelet bind-mounts its root dir; dockerd leaves a netns mount
  for m in $(awk -v b="$BASE/" 'index($2, b) == 1 {print $2}' /proc/mounts | sort -r); do umount "$m" 2>/dev/null || umount -l "$m" || true; done
}

case "${1:-up}" in
  deps) deps ;;
  docker) docker_up ;;
  build) build ;;
  k8s) k8s_up ;;
  up) deps; docker_up; build; k8s_up ;;
  down) down ;;
  *) echo "usage: $0 deps|docker|build|k8s|up|down" >&2; exit 2 ;;
esac
