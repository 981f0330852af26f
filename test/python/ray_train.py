"""Runs the churn example's training inside ray.remote tasks on a local Ray (no dashboard): proof
that examples/churn/src/train.py is Ray-ready. Used by test/unit/ray-real.test.ts.

    RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 python test/python/ray_train.py \
        --project examples/churn --temp-dir /tmp/slray-x --seeds 1 2

Prints one JSON line on stdout: the Ray version, the driver's pid, each task's seed, pid and
metrics, and every TCP port the Ray processes listen on (which must all be loopback).
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import socket
import sys
import time


def ray_pids(temp_dir: str) -> set[int]:
    """This driver's Ray processes: those whose command line names the session folder, and their
    descendants (workers are children of the raylet)."""
    parent: dict[int, int] = {}
    cmdline: dict[int, str] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                parent[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline[int(name)] = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
    pids = {pid for pid, cmd in cmdline.items() if temp_dir in cmd} | {os.getpid()}
    grew = True
    while grew:
        more = {pid for pid, ppid in parent.items() if ppid in pids and pid not in pids}
        pids |= more
        grew = bool(more)
    return pids


def listening_addresses(pids: set[int]) -> list[str]:
    """`address:port` of every TCP socket in LISTEN state that one of `pids` holds."""
    inodes = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    found = []
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if cols[3] != "0A" or cols[9] not in inodes:  # 0A: LISTEN
                continue
            hex_addr, hex_port = cols[1].split(":")
            raw = bytes.fromhex(hex_addr)
            # the kernel writes each 32-bit word in host (little-endian) order
            packed = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            found.append(f"{socket.inet_ntop(family, packed)}:{int(hex_port, 16)}")
    return sorted(set(found))


def is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address.rsplit(":", 1)[0])
    return ip.is_loopback or (ip.version == 6 and ip.ipv4_mapped is not None and ip.ipv4_mapped.is_loopback)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", required=True, help="the churn example's folder")
    parser.add_argument("--temp-dir", required=True, help="Ray's session folder (short: socket paths)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--n_estimators", type=int, default=60)
    args = parser.parse_args()
    src = os.path.abspath(os.path.join(args.project, "src"))
    data = os.path.abspath(os.path.join(args.project, "data", "train.parquet"))

    import ray

    started = time.time()
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=os.path.abspath(args.temp_dir), log_to_driver=False)
    try:
        @ray.remote(num_cpus=1)
        def fit(seed: int) -> dict:
            # runs in a Ray worker process: the example's training function, imported there
            if src not in sys.path:
                sys.path.insert(0, src)
            from train import train

            result = train({"n_estimators": args.n_estimators, "seed": seed}, data)
            return {"seed": seed, "pid": os.getpid(), "metrics": result["metrics"], "rows": result["rows"]}

        results = ray.get([fit.remote(seed) for seed in args.seeds], timeout=120)
        listeners = listening_addresses(ray_pids(os.path.abspath(args.temp_dir)))
        resources = ray.cluster_resources()
    finally:
        ray.shutdown()
    print(json.dumps({
        "ray": ray.__version__,
        "driver_pid": os.getpid(),
        "cpus": resources.get("CPU"),
        "results": results,
        "listeners": listeners,
        "non_loopback": [a for a in listeners if not is_loopback(a)],
        "seconds": round(time.time() - started, 2),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
