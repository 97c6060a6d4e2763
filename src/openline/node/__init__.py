"""The node's assembly: its settings, its directory, and the parts wired together once."""
