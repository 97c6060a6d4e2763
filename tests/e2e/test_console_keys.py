"""A peer's key rotation raises the alarm on the console, naming the peer and its new key's
fingerprint, for the officers to compare with the one the peer's operators give out of band."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openline.domain.journal import JournalKind
from openline.domain.rotations import fingerprint
from openline.keys.rotation import sign_rotation
from openline.keys.signing import SigningKey
from tests.support.console import OpenConsole
from tests.support.nodes import silent_card
from tests.support.operator import journal_of
from tests.support.red import Red
from tests.support.witnessing import blue_witnessing_red


@pytest.fixture
def red(tmp_path: Path) -> Iterator[Red]:
    """Set up before the console, so the node outlives it."""
    with blue_witnessing_red(tmp_path) as playing:
        yield playing


def test_a_peers_key_rotation_raises_the_alarm_naming_its_new_fingerprint(
    red: Red, open_console: OpenConsole
) -> None:
    console = open_console(red.blue)
    new = SigningKey.generate()
    rotation = sign_rotation(red.key, new, silent_card(key=new), "2026-12-07T12:00:00.000Z")

    (result,) = red.post(red.envelope(1, kind="key_rotation", body=rotation.to_body()))

    assert "not_applied" not in result["receipt"], result
    (switch,) = journal_of(red.blue, JournalKind.PEER_KEY_ROTATED)
    key = f".alarm[data-key='key:{switch['seq']}']"
    console.page.locator(key).wait_for()
    assert console.page.get_attribute(key, "data-level") == "warning"
    text = console.page.inner_text(key)
    assert "RED ROTATED ITS KEY" in text
    assert fingerprint(new.public_key.to_base64()) in text
    console.screenshot("key-rotation-alarm")
