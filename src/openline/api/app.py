"""The app factory: one FastAPI app per node, built from an opened ``Node``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from openline import __version__
from openline.api.auth import OperatorAuth
from openline.api.errors import FEDERATION_ERRORS, OPERATOR_ERRORS, install_error_handlers
from openline.api.headers import SecurityHeaders
from openline.api.limits import RefuseNul, RequestSizeLimit
from openline.api.routes import (
    basemap,
    bundles,
    console,
    events,
    federation,
    messages,
    node,
    notifications,
    templates,
    tiles,
    tokens,
    tracks,
)
from openline.api.routes import interop as interop_routes
from openline.api.routes import line as line_routes
from openline.api.routes.federation import FederationLimits
from openline.api.single_flight import SingleFlight
from openline.domain.bundles import max_bundle_bytes
from openline.line.leadership import LeaderDuties, Leadership
from openline.line.runner import Line
from openline.line.tak import TakBridge
from openline.line.tracks import TrackLoop
from openline.node.assembly import Node
from openline.services.journal import verify_journal


def create_app(opened: Node, *, wait_for_engines: bool = True) -> FastAPI:
    """The node's API. Starting it starts the node's writer (and, with ``wait_for_engines``,
    waits until its conflict finder is loaded; ``openline serve`` answers meanwhile, saying it
    is not ready); stopping it ends every stream."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened.start(wait_for_engines=wait_for_engines)
        line = app.state.line = Line(opened)
        # The line's sending and checks, the track interval's sharing and the TAK bridge
        # (which runs only when tak_url is set: docs/tak.md) run on the process that leads the
        # node; the track interval itself on every process, each ageing the tracks it holds.
        track_loop = TrackLoop(opened)
        duties = LeaderDuties(line, track_loop, TakBridge(opened))
        leadership = app.state.leadership = Leadership(opened, duties)
        try:
            await line.start()
            track_loop.start()
            await leadership.start()
            yield
        finally:
            await leadership.stop()
            await track_loop.stop()
            await line.stop()
            opened.bus.close()
            opened.stop()

    app = FastAPI(
        title=f"Openline node {opened.party}",
        version=__version__,
        description="Operator API of an Openline deconfliction line node.",
        lifespan=lifespan,
        docs_url=None,  # served from the node's own files instead: console.docs_router
        redoc_url=None,
    )
    app.state.node = opened
    install_error_handlers(app)
    app.add_middleware(
        RequestSizeLimit,
        max_bytes=opened.settings.max_request_bytes,
        by_prefix={
            "/federation/": 4 * opened.settings.max_envelope_bytes,
            bundles.router.prefix: max_bundle_bytes(opened.settings.max_envelope_bytes),
        },
        on_refused_early=federation.journal_too_large,
    )
    app.state.federation_limits = FederationLimits.of(opened.settings)
    app.state.journal_verification = SingleFlight(lambda: asyncio.to_thread(verify_journal, opened))
    app.add_middleware(RefuseNul)
    app.add_middleware(OperatorAuth, node=opened)
    app.add_middleware(SecurityHeaders)
    if opened.settings.trusted_proxies:  # added last: runs first, so every reader sees it
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=opened.settings.trusted_proxies)
    for router in (
        node.router,
        line_routes.router,
        messages.router,
        notifications.router,
        notifications.conflicts_router,
        events.router,
        templates.router,
        console.router,
        tracks.router,
        tiles.router,
        basemap.router,
        interop_routes.router,
        bundles.router,
        tokens.router,
    ):
        app.include_router(router, responses=OPERATOR_ERRORS)
    app.include_router(federation.router, responses=FEDERATION_ERRORS)
    # The hot routes, found first and served without FastAPI's per-request work (issue 25)
    app.router.routes[:0] = [messages.direct_send_route(), federation.direct_route()]
    app.include_router(console.docs_router)
    web = files("openline.web")
    # The console's front-end packages, copied there by `make install` (npm ci): without them
    # the API still serves, and the console says its map is missing (docs/console.md).
    if (web / "vendor").is_dir():
        app.mount("/vendor", StaticFiles(directory=str(web / "vendor")), name="vendor")
    static = web / "static"
    app.mount("/", StaticFiles(directory=str(static), html=True), name="console")
    return app
