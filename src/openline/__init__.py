"""Openline: an open, self-hosted deconfliction line."""

__version__ = "0.1.0"
