"""The API contract on the live network: schemathesis against each org's running gateway, as each caller.

The same harness as the unit run over the fake ledger (`tests.api_contract`), bounded to a couple of hundred
requests per caller, now through uvicorn, our Fabric client and the real peers and orderers: every answer
must match the OpenAPI document the gateway serves, and nothing may be a 5xx.
"""

from __future__ import annotations

import pytest

from network.network import Network
from tests.api_contract import ANONYMOUS, WRONG_KEY, Caller, fuzz_url
from tests.e2e.conftest import Apis

LIVE_EXAMPLES = 3
SEED = 20261201
DEV_IDENTITIES = [
    "BankOrg/issuer",
    "BankOrg/compliance",
    "PlatformOrg/operator",
    "PlatformOrg/buyer-us",
    "PlatformOrg/seller-cn",
    "AuditorOrg/auditor",
]


def _caller(network: Network, apis: Apis, name: str) -> tuple[str, Caller]:
    """The gateway URL to fuzz and the caller to fuzz it as."""
    if name in (ANONYMOUS, WRONG_KEY):
        url = apis["PlatformOrg/operator"].url
        return url, Caller(name, None, None if name == ANONYMOUS else "Bearer dev-not-a-key")
    role = next(i["role"] for gw in network.gateways_status() for i in gw["identities"] if i["ref"] == name)
    api = apis[name]
    return api.url, Caller(name, role, f"Bearer {api.api_key}")


@pytest.mark.parametrize("name", [*DEV_IDENTITIES, ANONYMOUS, WRONG_KEY])
def test_live_gateway_keeps_its_contract(network: Network, apis: Apis, name: str) -> None:
    url, caller = _caller(network, apis, name)
    result = fuzz_url(url, caller, max_examples=LIVE_EXAMPLES, seed=SEED, split_coverage=True)
    print(result.line())
    assert result.requests > 0
    assert result.ok, result.report()
