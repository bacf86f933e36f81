"""`deposits books run|status|reconcile|attest`: the books connector of the bank (README "The bank's books")."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from books.settings import books_db
from books.store import BooksStore
from deposits.commands import Subcommands
from network.endpoints import books_name
from network.layout import Layout
from network.network import Network

EXPECTED_FAILURES: tuple[type[BaseException], ...] = ()


def cmd_run(args: argparse.Namespace) -> int:
    """The connector in the foreground (what `network up` starts in the background)."""
    env = {**os.environ, "DEPOSITS_BOOKS_DATA_DIR": str(args.data_dir), "DEPOSITS_BOOKS_TOPOLOGY": str(args.topology)}
    if args.core_url:
        env["DEPOSITS_BOOKS_CORE_URL"] = args.core_url
    os.execve(sys.executable, [sys.executable, "-m", "books"], env)
    return 0  # not reached


def _store(args: argparse.Namespace) -> BooksStore:
    path = books_db(args.data_dir)
    if not path.exists():
        raise SystemExit(f"deposits: no books under {args.data_dir}: run `deposits network up` first")
    return BooksStore(path)


def cmd_status(args: argparse.Namespace) -> int:
    network = Network.open(Layout(args.data_dir), args.topology)
    store = _store(args)
    try:
        checkpoint = store.checkpoint()
        status = {
            "connectors": {o.name: network.runtime.running(books_name(o)) for o in network.books_orgs()},
            "checkpoint": None if checkpoint is None else {"block": checkpoint[0], "tx_id": checkpoint[1]},
            **store.counts(),
        }
    finally:
        store.close()
    print(json.dumps(status, indent=2, sort_keys=True))
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    """The connector's latest report, as GET /v1/reconciliation answers it; exit status 1 when it names breaks."""
    store = _store(args)
    try:
        report = store.report() or {"as_of_block": 0, "currencies": {}, "breaks": []}
    finally:
        store.close()
    print(json.dumps(report, indent=2, sort_keys=True))
    return 1 if report["breaks"] else 0


def cmd_attest(args: argparse.Namespace) -> int:
    """Ask the running connector to attest the books' balances on chain now; print what it did per currency
    (the attestation's transaction id, or why not). Exit status 1 if it did not answer within --wait."""
    store = _store(args)
    try:
        request = store.request_attestation()
        deadline = time.monotonic() + args.wait
        while (result := store.attestation_result(request)) is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        store.close()
    print(json.dumps({"request": request, "attested": result}, indent=2, sort_keys=True))
    return 0 if result is not None else 1


def register(sub: Subcommands) -> None:
    books = sub.add_parser("books", help="the bank's books connector").add_subparsers(dest="action", required=True)
    run = books.add_parser("run", help="run the connector in the foreground")
    run.add_argument("--core-url", help="the core's ISO 20022 endpoint base URL (POST {url}/iso20022)")
    run.set_defaults(func=cmd_run)
    books.add_parser("status", help="the connector: running, checkpoint, fundings and payouts").set_defaults(
        func=cmd_status
    )
    books.add_parser("reconcile", help="the latest reconciliation of chain and books").set_defaults(func=cmd_reconcile)
    attest = books.add_parser("attest", help="attest the books' token liability on chain now (the treasury)")
    attest.add_argument("--wait", type=int, default=60, help="seconds to wait for the connector's answer")
    attest.set_defaults(func=cmd_attest)
