"""Stand-in for `iso_messages` (same names, docs/books.md) until it lands on main; replaced by it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from lxml import etree  # type: ignore[import-untyped]
from pyiso20022.camt.camt_053_001_08 import camt_053_001_08
from pyiso20022.camt.camt_054_001_08 import camt_054_001_08
from pyiso20022.pacs.pacs_002_001_10 import pacs_002_001_10
from pyiso20022.pacs.pacs_008_001_08 import pacs_008_001_08
from pyiso20022.pacs.pacs_009_001_08 import pacs_009_001_08
from xsdata.exceptions import ParserError
from xsdata.formats.dataclass.context import XmlContext
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig


class Kind(enum.StrEnum):
    CAMT_054 = "camt.054.001.08"
    CAMT_053 = "camt.053.001.08"
    PACS_008 = "pacs.008.001.08"
    PACS_002 = "pacs.002.001.10"
    PACS_009 = "pacs.009.001.08"


_MODULES: dict[Kind, Any] = {
    Kind.CAMT_054: camt_054_001_08,
    Kind.CAMT_053: camt_053_001_08,
    Kind.PACS_008: pacs_008_001_08,
    Kind.PACS_002: pacs_002_001_10,
    Kind.PACS_009: pacs_009_001_08,
}


# xsdata's binding metadata, built once per class and reused: a fresh context per call rebuilt it every time.
_CONTEXT = XmlContext()
_PARSER = XmlParser(context=_CONTEXT)
_SERIALIZER = XmlSerializer(context=_CONTEXT, config=SerializerConfig(indent=None))


class MessageError(ValueError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Message:
    kind: Kind
    document: Any
    msg_id: str


def document_class(kind: Kind) -> Any:
    return _MODULES[kind].Document


def kind_of(xml: bytes) -> Kind:
    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise MessageError("/", f"not XML: {exc}") from exc
    ns = etree.QName(root).namespace or ""
    for kind in Kind:
        if ns == f"urn:iso:std:iso:20022:tech:xsd:{kind.value}":
            return kind
    raise MessageError("/Document", f"not one of our messages (namespace {ns!r})")


def parse(xml: bytes, expected: Kind | None = None) -> Message:
    kind = kind_of(xml)
    if expected is not None and kind != expected:
        raise MessageError("/Document", f"a {kind.value}, expected {expected.value}")
    try:
        doc = _PARSER.from_bytes(xml, document_class(kind))
    except (ParserError, ValueError, TypeError) as exc:
        raise MessageError("/Document", str(exc)) from exc
    header = next(iter(vars(doc).values())).grp_hdr
    return Message(kind, doc, header.msg_id)


def to_xml(document: Any) -> bytes:
    return _SERIALIZER.render(document).encode()
