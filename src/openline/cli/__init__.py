"""The `openline` command."""

from openline.cli.main import main

__all__ = ["main"]
