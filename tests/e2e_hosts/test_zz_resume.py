"""Runs last (file order): `down` removes every process, namespace, link and rule; `up` makes them again and
the network resumes its ledger on every host."""

from __future__ import annotations

from network.netns import NetnsRuntime
from network.network import Network
from tests.e2e.conftest import Api, deposits


def test_down_removes_the_hosts_and_up_resumes_the_ledger(
    network: Network, netns_runtime: NetnsRuntime, apis: dict[str, Api]
) -> None:
    height = network.wait_peers_in_sync(60)
    deposits(network.layout.root, "network", "down")
    assert not [n for n in network.all_service_names() if network.runtime.running(n)]
    assert netns_runtime.made() == []
    deposits(network.layout.root, "network", "up")
    assert {h.namespace for h in netns_runtime.plan.orgs} <= set(netns_runtime.made())
    assert network.wait_peers_in_sync(60) >= height
    auditor = apis["AuditorOrg/auditor"]
    fresh = Api(auditor.ref, auditor.url, auditor.api_key)  # the restarted gateway: new connections
    try:
        supply = fresh.ok("GET", "/v1/supply")
    finally:
        fresh.http.close()
    assert int(supply["USD"]["minted"].replace(".", "")) > 0 and all(f["invariant_holds"] for f in supply.values())
