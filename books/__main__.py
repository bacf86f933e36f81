"""`python -m books`: the books connector of one org, against that org's peer and the bank's core."""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType

from books.connector import Connector, KillingLedger, KillPoints
from books.core_http import HttpCore
from books.settings import BooksSettings, books_db
from books.store import BooksStore
from gateway import fabric
from gateway.directory import Directory
from gateway.fabric_ledger import FabricLedger, PeerEndpoint
from gateway.idempotency import IdempotencyStore
from gateway.service import WriteService
from network.layout import Layout
from network.ports import topology_for

TREASURY = "treasury"


def main() -> int:
    settings = BooksSettings()  # type: ignore[call-arg]  # filled from the environment
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    layout = Layout(settings.data_dir)
    topology = topology_for(layout, settings.topology)
    org = topology.org(settings.org)
    peer = PeerEndpoint.of_org(layout, topology, org, settings.peer_address)
    directory = Directory(topology, layout, org)
    treasury = next(c for c in directory.callers if c.name == TREASURY)
    kill = KillPoints(settings.kill_at)
    fabric_ledger = FabricLedger(peer, fabric.Timeouts())
    ledger = KillingLedger(fabric_ledger, kill)
    store = BooksStore(books_db(settings.data_dir))
    # Its own exactly-once records, kept as long as the books are (a mint key must never be forgotten).
    idempotency = IdempotencyStore(settings.data_dir / "books" / "idempotency.sqlite3", retention=10 * 365 * 86_400)
    core = HttpCore(settings.core_url, settings.core_timeout) if settings.core_url else None
    connector = Connector(
        store,
        ledger,
        WriteService(ledger, idempotency),
        treasury,
        directory.service,
        core,
        kill,
        poll_seconds=settings.poll_seconds,
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        connector.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        connector.run()
    finally:
        fabric_ledger.close()
        store.close()
        idempotency.close()
        if core is not None:
            core.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
