"""The operator console: static files the node serves at /."""
