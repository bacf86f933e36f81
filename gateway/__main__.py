"""`python -m gateway`: one org's gateway, against that org's peer, on 127.0.0.1:<gateway_port>."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import sys

import uvicorn

from books import BooksStore
from books.settings import books_db
from gateway import fabric
from gateway.api.app import create_app
from gateway.api.deps import Components
from gateway.api.front_door import FrontDoorLimits
from gateway.ca import LocalCA
from gateway.console import ConsoleOptions
from gateway.directory import Directory, ensure_api_keys
from gateway.event_hub import EventHub
from gateway.fabric_ledger import FabricLedger, PeerEndpoint
from gateway.idempotency import IdempotencyStore
from gateway.members import MemberStore, Sealer
from gateway.onboarding import Members
from gateway.revocation import ChannelRevocations, Signatory
from gateway.service import WriteService
from gateway.settings import Settings
from gateway.signing import OfflineSigning
from gateway.step_times import StepTimes
from network.layout import Layout
from network.pki import SERVICE_IDENTITY, OrgCrypto
from network.ports import topology_for


def main() -> int:
    settings = Settings()  # type: ignore[call-arg]  # filled from the environment
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    layout = Layout(settings.data_dir)
    topology = topology_for(layout, settings.topology)
    org = topology.org(settings.org)
    peer = PeerEndpoint.of_org(layout, topology, org, settings.peer_address)
    steps = StepTimes()
    ledger = FabricLedger(
        peer,
        fabric.Timeouts(endorse=settings.endorse_timeout, commit_status=settings.commit_timeout),
        resubmit_interval=settings.resubmit_interval,
        steps=steps,
    )
    store = IdempotencyStore(
        layout.gateways / org.name / "idempotency.sqlite3", retention=settings.idempotency_retention
    )
    state = layout.gateways / org.name
    crypto = OrgCrypto(layout.crypto, org)
    member_key = (
        base64.b64decode(settings.member_key.get_secret_value())
        if settings.member_key is not None
        else Sealer.load_or_create(state / "member.key")
    )
    member_store = MemberStore(state / "members.sqlite3")
    members = Members(
        org,
        crypto,
        member_store,
        Sealer(member_key),
        LocalCA(crypto.ca_dir, org, dt.timedelta(days=settings.member_validity_days)),
        crypto.user_tls(SERVICE_IDENTITY),
        ChannelRevocations(
            org.msp_id,
            topology.channel,
            peer.address,
            peer.tls_ca_pem,
            settings.orderer_address or org.orderer.address,
            crypto.tls_ca_cert.read_bytes(),
            reader=Signatory(org.msp_id, crypto.service_msp(), crypto.user_tls(SERVICE_IDENTITY)),
            admin=Signatory(org.msp_id, crypto.admin_msp(), crypto.admin_tls()),
        ),
    )
    members.import_topology(ensure_api_keys(layout, org))
    directory = Directory(topology, layout, org, members)
    # The org whose treasury identity runs the books connector keeps books; its store is the connector's.
    books_store = BooksStore(books_db(settings.data_dir)) if any(i.role == "treasury" for i in org.identities) else None
    components = Components(
        directory,
        ledger,
        WriteService(ledger, store, max_attempts=settings.max_attempts, commit_timeout=settings.commit_timeout),
        EventHub(ledger, directory.service, capacity=settings.event_buffer),
        members,
        OfflineSigning(ledger, directory.service, commit_timeout=settings.commit_timeout),
        steps,
        books=books_store,
    )
    limits = FrontDoorLimits(
        body_limit=settings.body_limit,
        body_timeout=settings.body_timeout,
        rate_per_key=settings.rate_per_key,
        burst_per_key=settings.burst_per_key,
        streams_per_key=settings.streams_per_key,
        max_in_flight_writes=settings.max_in_flight_writes,
        max_queued_writes=settings.max_queued_writes,
        queue_timeout=settings.queue_timeout,
    )
    console = ConsoleOptions(secure_cookies=settings.console_secure_cookies, idle_seconds=settings.console_idle)
    app = create_app(components, org=org.name, limits=limits, console=console)
    try:
        # access_log off: request lines carry nothing secret, but we keep logs to what operators need.
        # Keep-alive longer than clients keep idle connections (httpx: 5 s): with equal timeouts the server
        # closed a connection just as a client reused it ("Server disconnected without sending a response").
        uvicorn.run(
            app,
            host=settings.host,
            port=org.gateway_port,
            access_log=False,
            log_level="info",
            timeout_keep_alive=settings.keep_alive,
        )
    finally:
        ledger.close()
        store.close()
        member_store.close()
        if books_store is not None:
            books_store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
