"""The app factory: one FastAPI app per node, built from an opened ``Node``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from openline import __version__
from openline.api.auth import OperatorAuth
from openline.api.errors import FEDERATION_ERRORS, OPERATOR_ERRORS, install_error_handlers
from openline.api.limits import RefuseNul, RequestSizeLimit
from openline.api.routes import events, federation, messages, node, notifications, templates
from openline.line.runner import Line
from openline.node import Node


def create_app(opened: Node) -> FastAPI:
    """The node's API. Starting it starts the node's writer; stopping it ends every stream."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened.start()
        line = app.state.line = Line(opened)
        try:
            await line.start()
            yield
        finally:
            await line.stop()
            opened.bus.close()
            opened.stop()

    app = FastAPI(
        title=f"Openline node {opened.party}",
        version=__version__,
        description="Operator API of an Openline deconfliction line node.",
        lifespan=lifespan,
    )
    app.state.node = opened
    install_error_handlers(app)
    app.add_middleware(
        RequestSizeLimit,
        max_bytes=opened.settings.max_request_bytes,
        by_prefix={"/federation/": 4 * opened.settings.max_envelope_bytes},
    )
    app.add_middleware(RefuseNul)
    app.add_middleware(OperatorAuth, node=opened)  # added last: runs first
    for router in (
        node.router,
        messages.router,
        notifications.router,
        notifications.conflicts_router,
        events.router,
        templates.router,
    ):
        app.include_router(router, responses=OPERATOR_ERRORS)
    app.include_router(federation.router, responses=FEDERATION_ERRORS)
    static = files("openline.web") / "static"
    app.mount("/", StaticFiles(directory=str(static), html=True), name="console")
    return app
