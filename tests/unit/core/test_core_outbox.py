"""The outbox: every queued message reaches `{gateway}/v1/books/inbound` as the `core` identity, retried
with backoff until a 2xx; a 4xx marks it failed (visible, requeueable); order is kept."""

from __future__ import annotations

import socket
import time

from core.outbox import Deliverer
from core.schemas import FundingItem
from core.service import CoreService, to_ms
from core.store import Store
from tests.unit.core.conftest import Clock
from tests.unit.core.fake_receiver import fake_receiver


class Millis:
    """The sender's clock, starting where the service's fixed clock (conftest.Clock) queued the messages."""

    def __init__(self) -> None:
        self.now = to_ms(Clock().now)

    def __call__(self) -> int:
        return self.now


def deliverer(store: Store, url: str | None, clock: Millis) -> Deliverer:
    return Deliverer(store, url, "core-key", retry_initial_ms=200, retry_max_ms=1000, timeout=5, clock_ms=clock)


def queue_two(service: CoreService) -> None:
    service.open_dda("acme-usd", "USD", "100.00")
    service.fund([FundingItem(dda="acme-usd", amount="1")])
    service.close_day()


def test_messages_are_delivered_in_order_with_the_core_key(service: CoreService) -> None:
    queue_two(service)
    queued = service.store.outbox()
    with fake_receiver() as rx:
        d = deliverer(service.store, rx.url, Millis())
        assert d.run_due() == 2
        d.stop()
    assert [r.path for r in rx.received] == ["/v1/books/inbound"] * 2
    assert [r.body for r in rx.received] == [m.body for m in queued]
    assert rx.received[0].headers["authorization"] == "Bearer core-key"
    assert rx.received[0].headers["content-type"] == "application/xml"
    assert [m.status for m in service.store.outbox()] == ["delivered", "delivered"]


def test_a_5xx_is_retried_with_backoff_and_holds_back_later_messages(service: CoreService) -> None:
    queue_two(service)
    clock = Millis()
    with fake_receiver([503, 500]) as rx:
        d = deliverer(service.store, rx.url, clock)
        assert d.run_due() == 1  # the first message failed: the statement waits behind it
        first = service.store.outbox()[0]
        assert (first.status, first.attempts, first.next_attempt_ms) == ("pending", 1, clock.now + 200)
        assert "HTTP 503" in (first.last_error or "")
        assert d.run_due() == 0  # not due yet
        clock.now += 200
        assert d.run_due() == 1
        assert service.store.outbox()[0].next_attempt_ms == clock.now + 400  # doubled
        clock.now += 400
        assert d.run_due() == 2
        d.stop()
    assert len(rx.received) == 4
    assert rx.received[0].body == rx.received[2].body  # the same message, again
    assert [m.status for m in service.store.outbox()] == ["delivered", "delivered"]
    assert d.backoff_ms(10) == 1000  # capped


def test_no_receiver_is_a_retry_not_a_failure(service: CoreService) -> None:
    queue_two(service)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    d = deliverer(service.store, f"http://127.0.0.1:{port}", Millis())
    d.run_due()
    d.stop()
    first = service.store.outbox()[0]
    assert first.status == "pending" and first.attempts == 1 and "ConnectError" in (first.last_error or "")


def test_a_4xx_marks_the_message_failed_and_a_requeue_sends_it_again(service: CoreService) -> None:
    queue_two(service)
    clock = Millis()
    with fake_receiver([400]) as rx:
        d = deliverer(service.store, rx.url, clock)
        assert d.run_due() == 2  # the refused message no longer holds the others back
        failed, delivered = service.store.outbox()
        assert failed.status == "failed" and "HTTP 400" in (failed.last_error or "")
        assert delivered.status == "delivered"
        assert service.store.requeue(failed.id, clock.now)
        assert not service.store.requeue(delivered.id, clock.now)
        assert d.run_due() == 1
        d.stop()
    assert [m.status for m in service.store.outbox()] == ["delivered", "delivered"]


def test_the_background_sender_delivers_as_soon_as_a_message_is_queued(service: CoreService) -> None:
    with fake_receiver() as rx:
        d = Deliverer(service.store, rx.url, None, retry_initial_ms=50, retry_max_ms=100, timeout=5)
        service.notify = d.wake
        d.start()
        try:
            service.open_dda("acme-usd", "USD", "100.00")
            service.fund([FundingItem(dda="acme-usd", amount="1")])
            assert rx.arrived.wait(10)
            deadline = time.monotonic() + 10
            while service.store.outbox()[0].status != "delivered" and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            d.stop()
    assert service.store.outbox()[0].status == "delivered"
    assert "authorization" not in rx.received[0].headers


def test_without_a_gateway_messages_wait(service: CoreService) -> None:
    queue_two(service)
    d = deliverer(service.store, None, Millis())
    assert d.run_due() == 0
    d.stop()
    assert [m.status for m in service.store.outbox()] == ["pending", "pending"]
