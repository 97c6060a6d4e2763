"""Three real nodes for the relay (issue 19): BLUE and RED, each reaching the other through a
fault proxy of its own, both linked to GREEN (GREEN reaching RED through a third proxy), which
can relay between them once allowed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openline.node.assembly import Node
from tests.support.faultproxy import Fault, FaultProxy
from tests.support.faults import link_through
from tests.support.nodes import link, make_node_dir
from tests.support.ports import free_port
from tests.support.processes import RunningNode, run_openline, start_node


@dataclass
class Three:
    blue: RunningNode
    red: RunningNode
    green: RunningNode
    to_red: FaultProxy  # BLUE's direct path to RED
    to_blue: FaultProxy  # RED's direct path to BLUE
    green_to_red: FaultProxy  # GREEN's path to RED


@contextmanager
def three_nodes(base: Path, env: dict[str, str]) -> Iterator[Three]:
    """BLUE, RED and GREEN made in ``base``, linked, started with ``env``; all stopped after."""
    made = {
        party: make_node_dir(base / party.lower(), party=party, lang=lang, port=free_port())
        for party, lang in (("BLUE", "en"), ("RED", "ru"), ("GREEN", "fr"))
    }
    blue, red, green = (made[p].directory for p in ("BLUE", "RED", "GREEN"))
    proxies = [
        FaultProxy(port_of(target), {Fault.NONE: 1}, seed=n).start()
        for n, target in enumerate((red, blue, red))
    ]
    nodes: list[RunningNode] = []
    try:
        link_through(blue, red, proxies[0].url)
        link_through(red, blue, proxies[1].url)
        link_through(green, red, proxies[2].url)
        for directory, other in ((blue, green), (green, blue), (red, green)):
            link(directory, card_of(other))
        for party in ("BLUE", "RED", "GREEN"):
            nodes.append(start_node(made[party].directory, made[party].token, env))
        yield Three(*nodes, *proxies)
    finally:
        for node in nodes:
            node.stop_surely()
        for proxy in proxies:
            proxy.stop()


def relay_through_green(three: Three) -> None:
    """GREEN allowed to relay between BLUE and RED, and each of them given it as a path."""
    allowed = run_openline("relay", "allow", three.green.directory, "RED", "BLUE")
    assert allowed.returncode == 0, allowed.stderr
    for node, peer in ((three.blue, "RED"), (three.red, "BLUE")):
        via = run_openline("peer", "via", node.directory, peer, "GREEN")
        assert via.returncode == 0, via.stderr


def card_of(directory: Path) -> Any:
    node = Node.open(directory, environ={})
    try:
        return node.card()
    finally:
        node.close()


def port_of(directory: Path) -> int:
    return int(card_of(directory).url.rsplit(":", 1)[1])
