"""ISO 20022 documents in and out: parse, check against the schema's rules, write.

A thin layer over pyiso20022's generated bindings, shared by the books connector and the reference core
(and nothing else between them). It knows message kinds, not money: mapping a document to ledger terms is
each side's job. See docs/books.md.

Public names: `Kind`, `Message`, `MessageError`, `document_class`, `kind_of`, `parse`, `to_xml`.
"""

from iso_messages.codec import Message, kind_of, parse, to_xml
from iso_messages.errors import MessageError
from iso_messages.kinds import Kind, document_class

__all__ = ["Kind", "Message", "MessageError", "document_class", "kind_of", "parse", "to_xml"]
