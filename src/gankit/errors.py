"""The one error type users see: a message that says what is wrong and what to do."""

from __future__ import annotations

import re


class GankitError(Exception):
    """Bad input or a failed precondition. The CLI prints `gankit: error: <message>` and exits 2."""


def brief(text: str, limit: int = 200) -> str:
    """The first line of a library's error text, shortened only at a sentence's end, never inside
    one: torch's messages run on for paragraphs, and half a sentence reads as nonsense."""
    line = next((s.strip() for s in str(text).splitlines() if s.strip()), "")
    if len(line) <= limit:
        return line
    ends = [m.end() for m in re.finditer(r"[.;:!?](?=\s)", line) if m.end() <= limit]
    return line[:ends[-1]].rstrip(".;: ") if ends else line
