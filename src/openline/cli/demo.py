"""``openline demo``: two linked nodes on this machine, with a short scenario on the line.

BLUE ("Coalition air operations centre", English) and RED ("Russian forces command", Russian)
are created in a directory (reused when they are already there), linked to each other, and run
as two real ``openline serve`` processes on 127.0.0.1. On new nodes a few messages and
notifications cross the line both ways; then the demo prints both consoles' addresses and
operator tokens and runs until Ctrl-C, saying so when one node stops while the other runs on.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from openline.cli.client import NodeClient, NodeUnreachable
from openline.domain.conflicts import RECORD_MEMBERS, conflict_key
from openline.domain.errors import OpenlineError
from openline.domain.roles import Role
from openline.domain.timeutil import format_utc
from openline.node.assembly import Node
from openline.node.settings import load_settings
from openline.services.operators import create_token
from openline.services.peers import link_directories
from openline.services.setup import init_node

LINE_CHECK_INTERVAL_S = 10


class DemoError(OpenlineError):
    """A demo node did not start or the line did not deliver."""

    code = "demo_failed"


START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class DemoParty:
    code: str
    name: str
    lang: str


BLUE = DemoParty("BLUE", "Coalition air operations centre", "en")
RED = DemoParty("RED", "Russian forces command", "ru")


@dataclass
class DemoNode:
    party: DemoParty
    directory: Path
    url: str
    token: str
    process: subprocess.Popen[bytes] | None = None

    def client(self) -> NodeClient:
        return NodeClient(self.url, self.token)

    @property
    def log(self) -> Path:
        return self.directory.parent / f"{self.directory.name}.log"

    def stopped(self) -> bool:
        return self.process is None or self.process.poll() is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(base: Path) -> tuple[list[DemoNode], bool]:
    """BLUE and RED in ``base``, linked, and whether they are new: created and linked the first
    time, reused afterwards."""
    base.mkdir(parents=True, exist_ok=True)
    new = False
    for party in (BLUE, RED):
        directory = base / party.code.lower()
        if not directory.exists():
            new = True
            init_node(
                directory,
                {
                    "party": party.code,
                    "name": party.name,
                    "lang": party.lang,
                    "port": _free_port(),
                    "line_check_interval": LINE_CHECK_INTERVAL_S,
                },
            )
    nodes = []
    for party in (BLUE, RED):
        directory = base / party.code.lower()
        node = Node.open(directory, environ={}, upgrade=True)
        try:
            token = create_token(node, "demo", Role.ADMINISTRATOR)
        finally:
            node.close()
        url = load_settings(directory, {}).public_url
        nodes.append(DemoNode(party, directory, url, token))
    # After opening each with upgrade: a demo directory from an older Openline is migrated first.
    link_directories(nodes[0].directory, nodes[1].directory)
    return nodes, new


def launch(node: DemoNode) -> None:
    with node.log.open("ab") as output:
        node.process = subprocess.Popen(
            [sys.executable, "-m", "openline", "serve", str(node.directory)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def wait_answering(node: DemoNode) -> None:
    assert node.process is not None, "launched first"
    log = node.log
    deadline = time.monotonic() + START_TIMEOUT_S
    client = node.client()
    try:
        while True:
            if node.process.poll() is not None:
                raise DemoError(f"{node.party.code} did not start; see {log}")
            try:
                if client.request("GET", "/api/v1/node")["ready"]:  # its conflict finder loaded
                    return
            except NodeUnreachable:
                pass
            if time.monotonic() > deadline:
                raise DemoError(
                    f"{node.party.code} was not ready within {START_TIMEOUT_S:.0f} s; see {log}"
                )
            time.sleep(0.1)
    finally:
        client.close()


def stop(nodes: list[DemoNode]) -> None:
    for node in nodes:
        if node.process is not None and node.process.poll() is None:
            node.process.terminate()
    for node in nodes:
        if node.process is not None:
            try:
                node.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait()


def scenario(blue: DemoNode, red: DemoNode, say: Callable[[str], None]) -> None:
    """A few exchanges of a morning on the line."""
    with contextlib.closing(blue.client()) as b, contextlib.closing(red.client()) as r:
        planned = b.request(
            "POST",
            "/api/v1/messages",
            json={
                "to": ["RED"],
                "precedence": "flash",
                "template": "planned-operation",
                "fields": {
                    "area": {"circle": {"lat": 35.95, "lon": 39.01, "radius_m": 8000}},
                    "time_window": {"start": _in(minutes=30), "end": _in(minutes=150)},
                    "altitude_band": {"lower_m": 3000, "upper_m": 7500},
                    "activity": "air strikes on fixed targets",
                    "unit": "VIPER 21",
                },
            },
        )
        _acknowledged(b, r, planned, say)
        site = r.request(
            "POST",
            "/api/v1/messages",
            json={
                "to": ["BLUE"],
                "precedence": "immediate",
                "template": "protected-site-notice",
                "fields": {
                    "location": {"lat": 35.9594, "lon": 38.9981},
                    "site": "field hospital",
                    "radius_m": 1500,
                },
            },
        )
        _acknowledged(r, b, site, say)
        answer = b.request(
            "POST",
            "/api/v1/messages",
            json={
                "to": ["RED"],
                "precedence": "immediate",
                "template": "confirm",
                "fields": {"remarks": "the site is excluded from the target area"},
                "in_reply_to": site["id"],
            },
        )
        say(f"BLUE -> RED  immediate  confirm  {answer['id']}")
        _deconfliction(b, r, say)


def _acknowledged(
    sender: NodeClient, receiver: NodeClient, sent: dict[str, Any], say: Callable[[str], None]
) -> None:
    """``sent`` announced, delivered by the line, then acknowledged by its receiver."""
    frm, to = sent["from"], ", ".join(sent["to"])
    say(f"{frm} -> {to}  {sent['precedence']}  {sent['template']}  {sent['id']}")
    _wait(lambda: _state(sender, sent["id"]) == "delivered")
    receiver.request("POST", f"/api/v1/messages/{sent['id']}/ack")
    say(f"{to} acknowledged it")


def _deconfliction(b: NodeClient, r: NodeClient, say: Callable[[str], None]) -> None:
    """Each side notifies a planned operation; both nodes find the same conflict."""
    window = {"time_start": _in(minutes=30), "time_end": _in(minutes=150)}
    ring = [[38.95, 35.9], [39.07, 35.9], [39.07, 36.0], [38.95, 36.0], [38.95, 35.9]]
    air = b.request(
        "POST",
        "/api/v1/notifications",
        json={
            "kind": "air-operation",
            "title": "VIPER 21 strike package",
            "volumes": [
                {
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "altitude_lower_m": 3000,
                    "altitude_upper_m": 7500,
                    **window,
                }
            ],
            "share_with": ["RED"],
        },
    )
    say(f"BLUE notifies  air-operation  {air['id']}")
    ground = r.request(
        "POST",
        "/api/v1/notifications",
        json={
            "kind": "ground-operation",
            "title": "Convoy to Raqqa",
            "volumes": [
                {
                    "circle": {"lat": 35.93, "lon": 39.09, "radius_m": 4000},
                    "altitude_lower_m": 0,
                    "altitude_upper_m": 100,
                    **window,
                }
            ],
            "share_with": ["BLUE"],
        },
    )
    say(f"RED notifies  ground-operation  {ground['id']}")
    key = conflict_key(air["id"], ground["id"])
    _wait(lambda: key in _conflicts(b) and key in _conflicts(r))
    on_blue, on_red = _conflicts(b)[key], _conflicts(r)[key]
    same = all(on_blue[k] == on_red[k] for k in RECORD_MEMBERS)
    say(
        f"conflict {key}  {on_blue['rule']}  {on_blue['distance_m']:.0f} m apart, "
        f"{'the same on both nodes' if same else 'NOT the same on both nodes'}"
    )


def _conflicts(client: NodeClient) -> dict[str, dict[str, Any]]:
    found = client.request("GET", "/api/v1/conflicts", params={"limit": 1000})["conflicts"]
    return {c["key"]: c for c in found}


def _in(**delta: float) -> str:
    return format_utc(datetime.now(UTC) + timedelta(**delta))


def _state(client: NodeClient, message_id: str) -> str:
    return str(client.request("GET", f"/api/v1/messages/{message_id}")["state"])


def _wait(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise DemoError("the line did not deliver within 20 s")
        time.sleep(0.05)


@contextlib.contextmanager
def running(base: Path) -> Iterator[tuple[list[DemoNode], bool]]:
    """BLUE and RED running and linked, and whether they are new.

    Both are started before either is waited for, so neither runs for long with its peer not
    yet listening (started one after the other, the first logged a failed line check every
    few hundred milliseconds until the second answered). Linking them while they run instead
    would have the first to learn of the other refused, and that refusal journaled."""
    nodes, new = prepare(base)
    try:
        for node in nodes:
            launch(node)
        for node in nodes:
            wait_answering(node)
        yield nodes, new
    finally:
        stop(nodes)


def watch(nodes: list[DemoNode], say: Callable[[str], None]) -> None:
    """Until every node has stopped: say which one stopped, while the others run on (so a
    line going down can be shown by stopping one node)."""
    reported: set[str] = set()
    while len(reported) < len(nodes):
        for node in nodes:
            if node.party.code not in reported and node.stopped():
                reported.add(node.party.code)
                assert node.process is not None
                running_on = [n.party.code for n in nodes if not n.stopped()]
                still = f"; {', '.join(running_on)} runs on" if running_on else ""
                say(
                    f"{node.party.code} stopped (exit status {node.process.returncode}; "
                    f"see {node.log}){still}"
                )
        time.sleep(0.5)
