"""Every org's gateway app, wired with `create_app` as `python -m gateway` does, over one FakeLedger."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from gateway.api.app import create_app
from gateway.api.deps import Components
from gateway.directory import Directory, ensure_api_keys
from gateway.event_hub import EventHub
from gateway.idempotency import IdempotencyStore
from gateway.service import WriteService
from network import pki
from network.layout import Layout
from network.topology import load_topology
from tests.unit.gateway.fake_ledger import FakeLedger


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
        for org in topology.orgs:
            for name, key in ensure_api_keys(layout, org).items():
                self.keys[f"{org.name}/{name}"] = key
            store = IdempotencyStore(state_dir / f"{org.name}.sqlite3")
            self._stores.append(store)
            directory = Directory(topology, layout, org)
            hub = EventHub(self.ledger, directory.service)
            components = Components(directory, self.ledger, WriteService(self.ledger, store), hub)
            self.apps[org.name] = create_app(components, org=org.name)  # the hub starts with the app's lifespan

    def app_of(self, ref: str) -> FastAPI:
        return self.apps[ref.split("/")[0]]

    def close(self) -> None:
        for store in self._stores:
            store.close()
