"""The progress line: redrawn in place on a terminal, written once anywhere else."""

from __future__ import annotations

import io

from ops.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_off_a_terminal_one_final_line_is_written() -> None:
    stream = io.StringIO()
    bar = Progress(50, "send", stream)
    for _ in range(50):
        bar.advance(note="failed")
    assert stream.getvalue() == ""
    bar.close()
    [line] = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert line.startswith("send [##############################] 50/50 ")
    assert stream.getvalue().endswith("/s\n")


def test_on_a_terminal_the_line_is_redrawn_in_place() -> None:
    stream = Terminal()
    bar = Progress(3, "redrive", stream)
    bar.advance(note="FAILED")  # the first draw is immediate
    bar.advance()
    bar.advance()  # the last one always draws
    bar.close()
    text = stream.getvalue()
    assert text.count("\n") == 1
    draws = text.rstrip("\n").split("\r")[1:]
    assert draws[0].startswith("redrive [##########                    ] 1/3 ")
    assert draws[0].endswith(" FAILED")
    assert len(draws) >= 3  # at least the first advance, the last one and close
    assert all(d.startswith("redrive [##############################] 3/3 ") for d in draws[1:])
