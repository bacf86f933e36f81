"""The named scenarios `deposits bench` can run. Each pays 0.01 per payment from funded payers (one per
client) to payees, and differs in who carries it (the HTTP gateway or our Fabric client directly), whether
every payer pays one hot payee, how many run at once, and whether a transaction carries one payment (a
transfer) or many (a bulk payout of `payout_lines` lines, one to each of that many payees)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Carrier(StrEnum):
    HTTP = "http"  # POST /v1/transfers at PlatformOrg's gateway, by the Go load client
    DIRECT = "direct"  # our Fabric client as the payer's holder, to PlatformOrg's peer


@dataclass(frozen=True, slots=True)
class Load:
    """What a carrier sends: client i pays payees[i] from payers[i] until `seconds` pass or `count`
    transactions are sent (0: no count bound), at most `rate` a second in all when it is set."""

    payers: list[str]
    payees: list[str]
    seconds: int
    count: int
    currency: str
    amount: str  # decimal string, as the HTTP API takes it
    amount_minor: int  # the same amount in minor units, as the contract takes it
    payout_lines: int = 0  # 0: transfers; else every transaction is a payout to each of payees[:payout_lines]
    rate: int = 0  # requests per second, all clients together (0: each client sends as fast as it is answered)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    carrier: Carrier
    hot_payee: bool
    clients: int
    about: str
    payout_lines: int = 0  # 0: one transfer per transaction


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("http-distinct", Carrier.HTTP, False, 32, "32 payers, each paying its own payee, over HTTP"),
        Scenario("http-hot-payee", Carrier.HTTP, True, 32, "32 payers all paying one payee, over HTTP"),
        Scenario("direct-distinct", Carrier.DIRECT, False, 32, "http-distinct through our Fabric client"),
        Scenario("direct-hot-payee", Carrier.DIRECT, True, 32, "http-hot-payee through our Fabric client"),
        Scenario("http-latency-4", Carrier.HTTP, False, 4, "4 payers over HTTP: latency at light load"),
        Scenario("http-payouts-100", Carrier.HTTP, False, 4, "4 payers, payouts of 100 lines, over HTTP", 100),
        Scenario("http-payouts-500", Carrier.HTTP, False, 4, "4 payers, payouts of 500 lines, over HTTP", 500),
    )
}
