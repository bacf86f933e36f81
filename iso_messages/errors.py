"""The one error of the message layer: where in the document, and what is wrong there."""

from __future__ import annotations


class MessageError(ValueError):
    """A document that does not parse, is not one of ours, or breaks a rule of its schema.

    `path` locates the first problem (`/Document/GrpHdr/MsgId`, list positions 1-based like XPath);
    `reason` says what is wrong with it."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
