"""The one error type users see: a message that says what is wrong and what to do."""


class GankitError(Exception):
    """Bad input or a failed precondition. The CLI prints `gankit: error: <message>` and exits 2."""
