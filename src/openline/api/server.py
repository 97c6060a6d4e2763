"""Running a node's app under uvicorn."""

from __future__ import annotations

import sys
from types import FrameType

import uvicorn

from openline.api.app import create_app
from openline.node import Node


class NodeServer(uvicorn.Server):
    """Ends the node's event streams as soon as it is told to stop.

    uvicorn waits for open connections before it runs the app's shutdown, and an event stream
    never closes by itself: without this, every stop would wait out the graceful timeout.
    """

    def __init__(self, config: uvicorn.Config, node: Node) -> None:
        super().__init__(config)
        self.node = node

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.node.bus.close()
        super().handle_exit(sig, frame)


# The writer thread and the event loop share the GIL. By default a thread that becomes ready
# may wait up to 5 ms for it while the loop runs Python code; on the line that wait is paid at
# every hop (commit, delivery, receipt). A shorter interval lets a commit through sooner.
GIL_SWITCH_INTERVAL_S = 0.0005


def serve(node: Node) -> None:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    settings = node.settings
    config = uvicorn.Config(
        create_app(node),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.log_level == "debug",
        timeout_graceful_shutdown=3,
    )
    NodeServer(config, node).run()
