"""The HTTP API: operator REST endpoints, server-sent events, and (later) federation."""
