"""``openline coord`` as a real process reading a pipe: it answers each line as it comes."""

from __future__ import annotations

import subprocess
import sys


def test_each_answer_is_written_before_the_next_line_is_read() -> None:
    # A real process on a pipe: the first answer must come while standard input is still open.
    program = "from openline.cli.coord import coord; coord(['--to', 'mgrs'])"
    with subprocess.Popen(
        [sys.executable, "-c", program],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write("36.2 37.15\n")
        process.stdin.flush()
        assert process.stdout.readline() == "37SCA3367707717\n"
        process.stdin.write("91 0\n")
        process.stdin.flush()
        assert process.stdout.readline().startswith("ERROR: latitude 91")
        process.stdin.close()
        assert process.wait() == 1
