"""Journal kinds: each one Openline writes is a ``JournalKind``, named by its member wherever it
is written or compared, and listed with its meaning in docs/architecture.md.

The source is parsed, not run, so a kind spelt as bare text is found in any branch. (That
``UnitOfWork.record`` takes a ``JournalKind`` is mypy's to hold.)
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from openline.domain.journal import JournalKind

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "openline"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
FAMILIES = {kind.value.partition(".")[0] for kind in JournalKind}
# Text that reads as a journal kind, or as the start of a family of them ("notification.").
KIND_TEXT = re.compile(rf"^({'|'.join(sorted(FAMILIES))})\.[a-z_]*$")


def bare_kinds(source: str, filename: str) -> list[str]:
    """Where ``source`` writes or compares a journal kind as text rather than a member: any
    text as the first argument of a ``record(...)`` call; text that reads as a kind in a
    comparison or a ``startswith`` prefix."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        texts = [
            text.value
            for text in _written_or_compared(node)
            if isinstance(text, ast.Constant) and isinstance(text.value, str)
        ]
        found.extend(
            f"{filename}:{getattr(node, 'lineno', 0)}: {text!r}"
            for text in texts
            if _is_call_of(node, "record") or KIND_TEXT.match(text)
        )
    return found


def _is_call_of(node: ast.AST, method: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == method
    )


def _written_or_compared(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Call) and _is_call_of(node, "record"):
        return node.args[:1]
    if isinstance(node, ast.Call) and _is_call_of(node, "startswith"):
        return _spread(node.args)
    if isinstance(node, ast.Compare):
        return _spread([node.left, *node.comparators])
    return []


def _spread(expressions: list[ast.expr]) -> list[ast.expr]:
    """The expressions, with the elements of a tuple, list or set literal in place of it."""
    return [
        element
        for expression in expressions
        for element in (
            expression.elts
            if isinstance(expression, ast.Tuple | ast.List | ast.Set)
            else [expression]
        )
    ]


def documented_kinds() -> list[str]:
    """The kinds in the first column of the table under the heading "Journal kinds" (of any
    level), in order."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    heading = re.search(r"^#+ Journal kinds$", text, flags=re.MULTILINE)
    assert heading is not None, f"{ARCHITECTURE} has no section 'Journal kinds'"
    section = re.split(r"^#", text[heading.end() :], maxsplit=1, flags=re.MULTILINE)[0]
    return re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE)


def test_no_module_writes_or_compares_a_journal_kind_as_bare_text() -> None:
    found: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        found.extend(bare_kinds(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))))
    assert found == []


def test_the_kinds_are_found_in_the_code_that_writes_them() -> None:
    outbox = (SRC / "services" / "outbox.py").read_text(encoding="utf-8")
    assert "JournalKind.ENVELOPE_QUEUED" in outbox


@pytest.mark.parametrize(
    "source",
    [
        'uow.record("message.created", {})',
        'uow.record("anything.at_all", {})',
        'self.uow.record("security.forbidden", event)',
        'if entry.kind == "envelope.queued": pass',
        'if "proximity.opened" != kind: pass',
        'ok = entry.kind.startswith("notification.")',
        'ok = entry.kind.startswith(("message.", "conflict."))',
        'if kind in ("line.status", "peer.added"): pass',
    ],
)
def test_the_check_finds_a_kind_written_as_text(source: str) -> None:
    assert bare_kinds(source, "example.py") != []


@pytest.mark.parametrize(
    "source",
    [
        "uow.record(JournalKind.MESSAGE_CREATED, {})",
        "uow.record(kind, data)",
        'KEY_FILE = "node.key"',
        'if outgoing.kind == "message": pass',
        'ok = text.startswith("volumes[")',
    ],
)
def test_the_check_leaves_members_and_other_text_alone(source: str) -> None:
    assert bare_kinds(source, "example.py") == []


def test_every_kind_is_a_family_and_a_name_in_lower_case() -> None:
    assert all(re.fullmatch(r"[a-z]+\.[a-z_]+", kind.value) for kind in JournalKind)
    assert len({kind.value for kind in JournalKind}) == len(JournalKind)


def test_the_architecture_document_lists_every_kind_once_sorted() -> None:
    assert documented_kinds() == sorted(kind.value for kind in JournalKind)


def test_a_kind_is_stored_as_its_plain_text() -> None:
    # StrEnum members are the text they stand for: the stored bytes are those of before the enum.
    assert JournalKind.ENVELOPE_QUEUED == "envelope.queued"
    assert f"{JournalKind.NODE_STARTED}" == "node.started"
    assert type(str(JournalKind.NODE_STARTED)) is str


def test_the_consoles_journal_filter_offers_every_family() -> None:
    # The journal tab's filter (js/journal.js) lists the families; a family missing from it
    # could be found only under "All kinds".
    script = (SRC / "web" / "static" / "js" / "journal.js").read_text(encoding="utf-8")
    listed = re.search(r"const KIND_GROUPS = \[([^\]]*)\]", script)
    assert listed is not None
    assert set(re.findall(r'"([a-z]+)"', listed.group(1))) == FAMILIES
