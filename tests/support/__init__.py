"""What the tests share that is not a fixture: nodes and their processes, the session's
database backend, the throwaway PostgreSQL cluster, the network fault proxy. The benchmarks in
bench/ use the PostgreSQL cluster too."""
