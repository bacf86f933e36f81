"""Bytes to documents and back. Untrusted input is parsed by lxml with no DTDs, entities or network, then
bound by xsdata to pyiso20022's dataclasses, then checked (`iso_messages.rules`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree
from xsdata.exceptions import ParserError
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.parsers.config import ParserConfig
from xsdata.formats.dataclass.parsers.handlers import LxmlEventHandler
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig

from iso_messages.errors import MessageError
from iso_messages.kinds import Kind, document_class, kind_for_namespace
from iso_messages.rules import check

# Far above any message we exchange (a camt.054 of 1,000 entries is about 1 MiB); the gateway caps bodies too.
MAX_BYTES = 16 * 1024 * 1024

_SAFE = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)
_BINDER = XmlParser(
    config=ParserConfig(
        fail_on_unknown_properties=True, fail_on_unknown_attributes=True, fail_on_converter_warnings=True
    ),
    handler=LxmlEventHandler,
)
_WRITER = XmlSerializer(config=SerializerConfig(xml_declaration=True, encoding="UTF-8", indent=None))


@dataclass(frozen=True, slots=True)
class Message:
    kind: Kind
    document: Any  # the pyiso20022 `Document` of `kind`
    msg_id: str  # GrpHdr/MsgId: what receivers deduplicate on


def _tree(xml: bytes) -> etree._Element:
    if len(xml) > MAX_BYTES:
        raise MessageError("/", f"larger than {MAX_BYTES} bytes")
    try:
        root = etree.fromstring(xml, parser=_SAFE)
    except etree.XMLSyntaxError as exc:
        raise MessageError("/", f"not well-formed XML: {exc.msg}") from exc
    if root.getroottree().docinfo.doctype:
        raise MessageError("/", "a DOCTYPE is not allowed")
    return root


def kind_of(xml: bytes) -> Kind:
    """The message kind named by the root element's namespace. Raises MessageError otherwise."""
    return _kind(_tree(xml))


def _kind(root: etree._Element) -> Kind:
    qname = etree.QName(root)
    kind = kind_for_namespace(qname.namespace or "")
    if qname.localname != "Document" or kind is None:
        raise MessageError(f"/{qname.localname}", f"not a Document of {', '.join(k.value for k in Kind)}")
    return kind


def parse(xml: bytes, expected: Kind | None = None) -> Message:
    """Parse and check one document. Raises MessageError (with the path of the first problem) for XML that
    does not parse, a kind other than `expected`, unknown elements, or a broken schema rule."""
    root = _tree(xml)
    kind = _kind(root)
    if expected is not None and kind is not expected:
        raise MessageError("/Document", f"{kind.value} given, {expected.value} expected")
    try:
        document = _BINDER.parse(root, document_class(kind))
    except (ParserError, TypeError, ValueError) as exc:
        # xsdata names the element it could not bind in its message; a missing required one is a TypeError.
        raise MessageError("/Document", f"does not match the {kind.value} schema: {exc}") from exc
    check(document)
    return Message(kind=kind, document=document, msg_id=_msg_id(document, kind))


def _msg_id(document: Any, kind: Kind) -> str:
    body = next(getattr(document, f) for f in document.__dataclass_fields__ if getattr(document, f) is not None)
    msg_id: str = body.grp_hdr.msg_id
    return msg_id


def to_xml(document: Any) -> bytes:
    """The document as UTF-8 XML (its namespace as the default one). Raises MessageError when it breaks a
    rule of its schema: nothing we send could be refused for its shape."""
    check(document)
    namespace = type(document).Meta.namespace
    return _WRITER.render(document, ns_map={None: namespace}).encode("utf-8")
