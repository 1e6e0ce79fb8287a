"""A build on a Ray cluster of two nodes, a head and a second node started with `ray start` on this
machine (listening on 127.0.0.1 only, one CPU each), writes the local engine's bytes.

Skipped when the `ray` extra is not installed; `.ci/run` installs it. The nodes are torn down by the
fixture's finaliser, test failed or not: their process groups are sent SIGTERM, and whatever is
left of the two sessions they were started in is killed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import REPO, run_cli

# The build's own Ray (the driver) finds its node by 127.0.0.1, as the nodes were given: with multi-node
# clusters enabled it would look for one at the host's outward address and wait for it forever.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
os.environ["RAY_AUTH_MODE"] = "disabled"
pytest.importorskip("ray", reason="the two-node Ray test needs the `ray` extra (pip install 'corpuspack[ray]')")

import contextlib

from corpuspack import build, load_config

# `ray start` swaps a node address of 127.0.0.1 for the host's outward address whenever multi-node
# clusters are enabled, and its servers then listen on every interface. Started through Ray's own
# command with that one step left out, the nodes keep 127.0.0.1 and listen there only.
RAY_START = (
    "import sys; from ray._private import services; services.resolve_ip_for_localhost = lambda host: host; "
    "from ray.scripts.scripts import main; sys.argv[0] = 'ray'; main()"
)
NODE_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "1",  # a second node may join (the test modules set "0")
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_AUTH_MODE": "disabled",  # no token written into the home folder
}
LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}
AGENTS = ("ray::Dashboard", "ray::RuntimeEnv")  # a raylet's other children (process names are cut at 15)
UP_SECONDS = 180  # a loaded CI machine starts a node in 5-30 s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes() -> dict[int, tuple[int, int, str, str]]:
    """pid -> (parent, session, state, name) of every process (Linux /proc)."""
    found = {}
    for entry in os.listdir("/proc"):
        try:
            text = Path("/proc", entry, "stat").read_text() if entry.isdigit() else ""
        except OSError:  # ended meanwhile
            continue
        if not text:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        found[int(entry)] = (int(fields[1]), int(fields[3]), fields[0], name)
    return found


@dataclass
class Cluster:
    address: str
    temp: Path
    nodes: list[subprocess.Popen] = field(default_factory=list)

    def members(self) -> dict[int, tuple[int, int, str, str]]:
        """Live processes of the nodes' sessions (each node was started in a session of its own)."""
        sessions = {node.pid for node in self.nodes}
        return {pid: p for pid, p in _processes().items() if p[1] in sessions and p[2] != "Z"}

    def raylets(self) -> list[int]:
        """The raylet of each node, in the order the nodes were started."""
        members = self.members()
        return [next(pid for pid, p in members.items() if p[1] == node.pid and p[3] == "raylet") for node in self.nodes]

    def start(self, head: bool, cpus: int) -> None:
        ports = (
            "node-manager",
            "object-manager",
            "dashboard-agent-listen",
            "dashboard-agent-grpc",
            "runtime-env-agent",
        )
        args = [sys.executable, "-c", RAY_START, "start", "--block", "--node-ip-address=127.0.0.1"]
        args += [f"--num-cpus={cpus}", "--object-store-memory=100000000", "--disable-usage-stats"]
        args += [f"--{name}-port={_free_port()}" for name in (*ports, "metrics-export")]
        if head:
            args += [f"--port={self.address.rsplit(':', 1)[1]}", "--head", "--include-dashboard=false"]
            args += [f"--temp-dir={self.temp}"]
        else:
            args += [f"--address={self.address}"]
        log = (self.temp.parent / f"node{len(self.nodes)}.log").open("wb")
        env = {**os.environ, **NODE_ENV}
        self.nodes.append(subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        log.close()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.temp.parent.glob("node*.log")))

    def stop(self) -> None:
        for node in self.nodes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while self.members() and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in self.members():  # only processes of the sessions started above
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for node in self.nodes:
            node.wait(timeout=30)


def _wait(what: str, cluster: Cluster, done) -> None:
    deadline = time.monotonic() + UP_SECONDS
    while not done():
        if any(node.poll() is not None for node in cluster.nodes):
            raise AssertionError(f"a Ray node exited while waiting for {what}:\n{cluster.logs()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {UP_SECONDS} s:\n{cluster.logs()}")
        time.sleep(0.2)


def _gcs_listening(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    with socket.socket() as s:
        return s.connect_ex((host, int(port))) == 0


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A head (1 CPU) and a second node (1 CPU) on 127.0.0.1; stopped in the finaliser whatever happened."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("finds and stops the nodes' processes through Linux /proc")
    # A short folder of its own: Ray's socket paths under it must stay within 107 bytes.
    short = Path(tempfile.mkdtemp(prefix="cpray-", dir="/tmp" if Path("/tmp").is_dir() else None))
    cluster = Cluster(f"127.0.0.1:{_free_port()}", short / "ray")
    cluster.temp.mkdir()
    try:
        cluster.start(head=True, cpus=1)
        _wait("head listening", cluster, lambda: _gcs_listening(cluster.address))
        cluster.start(head=False, cpus=1)
        _wait(
            "raylet on each node",
            cluster,
            lambda: len([p for p in cluster.members().values() if p[3] == "raylet"]) == 2,
        )
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:
            shutil.rmtree(short, ignore_errors=True)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generated2")
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "generate.py"), "--docs", "200", "--out", str(root)], check=True
    )
    build(out=root / "local", config=load_config(root, shard_bytes=1 << 20), workers=1)
    return root


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _listening_sockets(pids: set[int]) -> set[str]:
    """Local addresses of the TCP sockets `pids` listen on (Linux /proc)."""
    inodes = set()
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        inodes.update(int(link[8:-1]) for link in links if link.startswith("socket:["))
    found = set()
    for name, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[9]) in inodes:  # LISTEN
                raw = bytes.fromhex(fields[1].split(":")[0])
                found.add(socket.inet_ntop(family, b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))))
    return found


def test_two_node_ray_build_writes_the_local_engine_bytes(two_nodes: Cluster, generated: Path, tmp_path: Path):
    head_raylet, second_raylet = two_nodes.raylets()
    seen: dict[int, set[str]] = {head_raylet: set(), second_raylet: set()}
    stop = threading.Event()

    def watch() -> None:  # the Ray workers each raylet starts while the build runs
        while not stop.is_set():
            for parent, _, _, name in _processes().values():
                if parent in seen and not name.startswith(AGENTS):
                    seen[parent].add(name)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out = tmp_path / "out"
    try:
        done = run_cli(
            "build", "--engine", "ray", "--ray-address", two_nodes.address, "--shard-bytes", str(1 << 20),
            "--out", str(out), "-q", cwd=generated,
        )  # fmt: skip
    finally:
        stop.set()
        watcher.join()
    assert done.returncode == 0, done.stdout + done.stderr
    local = _digests(generated / "local")
    assert sum(name.startswith("paragraphs/") for name in local) >= 2, sorted(local)
    assert _digests(out) == local
    assert seen[second_raylet], "the second node started no Ray worker"
    listening = _listening_sockets(set(two_nodes.members()))
    assert listening and listening <= LOOPBACK, listening
