"""YAML read safely: no aliases, and nesting held to the JSON reader's limit.

A YAML alias (``*name``) repeats what an anchor (``&name``) named; a few hundred bytes of
aliases of aliases expand into billions of values (an "alias bomb": 5 GB and 90 s of a node
before it refused one). The flight intents InterUSS writes use none, so Openline refuses any
alias, saying where it is, instead of bounding what aliases may cost. Nesting deeper than
``strict_json.MAX_DEPTH`` is refused as in a JSON body.

The text's events are checked first, then the document is built by PyYAML's safe loader; both
with libyaml where PyYAML has it (a megabyte in about half a second, ten times faster than
PyYAML's own parser).
"""

from __future__ import annotations

from typing import Any

from openline.domain.strict_json import MAX_DEPTH


def load_yaml(text: str) -> Any:
    """The one YAML document of ``text``; ``yaml.YAMLError`` naming the line and column if it
    is not YAML, holds an alias or nests deeper than ``MAX_DEPTH``."""
    import yaml  # PyYAML loads when a YAML file is read, not at every command's start

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    opens = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
    closes = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        problem = None
        if isinstance(event, yaml.AliasEvent):
            problem = f"found the alias *{event.anchor}: Openline reads YAML without aliases"
        depth += isinstance(event, opens) - isinstance(event, closes)
        if depth > MAX_DEPTH:
            problem = f"nested deeper than {MAX_DEPTH} sequences and mappings, the limit"
        if problem:
            raise yaml.MarkedYAMLError(None, None, problem, event.start_mark)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader, on checked text
