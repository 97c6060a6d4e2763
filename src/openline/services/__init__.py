"""Service functions: the one place each use case is carried out, for the API and the CLI."""
