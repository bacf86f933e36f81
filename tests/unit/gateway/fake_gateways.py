"""Every org's gateway app, wired with `create_app` as `python -m gateway` does, over one FakeLedger."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from books import BooksStore
from gateway.api.app import create_app
from gateway.api.deps import Components
from gateway.ca import LocalCA
from gateway.consistency import BlockWait
from gateway.directory import Directory, ensure_api_keys
from gateway.event_hub import EventHub
from gateway.idempotency import IdempotencyStore
from gateway.members import MemberStore, Sealer
from gateway.onboarding import Members
from gateway.service import WriteService
from gateway.signing import OfflineSigning
from network import pki
from network.layout import Layout
from network.pki import OrgCrypto
from network.topology import load_topology
from tests.unit.gateway.fake_ledger import FakeLedger

# A `Min-Block` the fake ledger has not reached is waited for briefly (the API fuzz sends such blocks).
BLOCK_WAIT = BlockWait(within_ms=100, every_ms=10)


def dev_layout(data_dir: Path) -> Layout:
    """A data directory with the topology's crypto material (the identities' certificates)."""
    layout = Layout(data_dir)
    pki.generate(layout.crypto, load_topology())
    return layout


class FakeGateways:
    """`apps[org]` is that org's gateway; `keys["Org/name"]` is a dev identity's API key."""

    def __init__(self, layout: Layout, state_dir: Path) -> None:
        topology = load_topology()
        self.ledger = FakeLedger()
        self.keys: dict[str, str] = {}
        self.apps: dict[str, FastAPI] = {}
        self._stores: list[IdempotencyStore] = []
        self._member_stores: list[MemberStore] = []
        self._books: list[BooksStore] = []
        self.members: dict[str, Members] = {}
        for org in topology.orgs:
            for name, key in ensure_api_keys(layout, org).items():
                self.keys[f"{org.name}/{name}"] = key
            store = IdempotencyStore(state_dir / f"{org.name}.sqlite3")
            self._stores.append(store)
            crypto = OrgCrypto(layout.crypto, org)
            member_store = MemberStore(":memory:")
            self._member_stores.append(member_store)
            members = Members(
                org,
                crypto,
                member_store,
                Sealer(bytes(32)),
                LocalCA(crypto.ca_dir, org),
                crypto.user_tls(pki.SERVICE_IDENTITY),
            )
            members.import_topology(ensure_api_keys(layout, org))
            self.members[org.name] = members
            directory = Directory(topology, layout, org, members)
            hub = EventHub(self.ledger, directory.service)
            signing = OfflineSigning(self.ledger, directory.service)
            # The bank keeps books (its connector's store; no connector runs in these tests).
            keeps_books = any(i.role == "treasury" for i in org.identities)
            books = BooksStore(state_dir / f"{org.name}-books.sqlite3") if keeps_books else None
            if books is not None:
                self._books.append(books)
            components = Components(
                directory,
                self.ledger,
                WriteService(self.ledger, store),
                hub,
                members,
                signing,
                books=books,
                block_wait=BLOCK_WAIT,
            )
            self.apps[org.name] = create_app(components, org=org.name)  # the hub starts with the app's lifespan

    def app_of(self, ref: str) -> FastAPI:
        return self.apps[ref.split("/")[0]]

    def close(self) -> None:
        for store in self._stores:
            store.close()
        for members in self._member_stores:
            members.close()
        for books in self._books:
            books.close()
