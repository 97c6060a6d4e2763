"""What the tests share that is not a fixture (the fixtures are in tests/conftest.py): nodes and
their processes, the session's database backend, the throwaway PostgreSQL cluster, the network
fault proxy, the third-party data beside the checkout. The benchmarks in bench/ start their
PostgreSQL through here too."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # the checkout's root
