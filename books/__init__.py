"""The books connector: BankOrg's integration with the bank's core banking system over ISO 20022.

    messages    each ISO 20022 message mapped to and from the connector's records (via `iso_messages`)
    store       the durable inbox, fundings, outbox, statements, chain records and checkpoint (SQLite)
    connector   fundings → treasury mints, redemptions → pacs.008 → settle/reject, attestations
    reconcile   the rules comparing the chain's supply with the books, and the breaks they name
    core_http   the core's ISO 20022 endpoint over HTTP
    settings    `DEPOSITS_BOOKS_*`

It uses the gateway's Fabric client and exactly-once writes (`gateway.service.WriteService`) the way the
HTTP API does; it never imports the reference core (`core/`), which a bank replaces with its own.
"""

from books.store import BooksStore

__all__ = ["BooksStore"]
