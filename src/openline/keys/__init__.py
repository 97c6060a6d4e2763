"""Signing keys and TLS: the node's identity on the line."""
