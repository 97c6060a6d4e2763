"""The pure model and rules of Openline: standard library and pydantic only, no I/O."""
