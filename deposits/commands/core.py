"""`deposits core …`: a bank operator drives the reference core (core/) through its admin API.

The core's URL is the data directory's network's (the topology's BankOrg `core_port`, moved with the port
base), or `--url`. Amounts are decimal strings, as the API takes them.
"""

from __future__ import annotations

import argparse
import json
import uuid
from typing import Any

import httpx

from deposits.commands import Subcommands
from network.layout import Layout
from network.ports import topology_for
from network.topology import Org


class CoreUnavailableError(RuntimeError):
    """The core does not answer at its URL (not started: `deposits network up` or `deposits core serve`)."""


class CoreRequestError(RuntimeError):
    """The core refused a request (its `code: detail`)."""


def _core_org(args: argparse.Namespace) -> Org:
    topology = topology_for(Layout(args.data_dir), args.topology)
    orgs = [o for o in topology.orgs if o.core_port is not None]
    if not orgs:
        raise CoreRequestError("the topology names no org with a core_port")
    return orgs[0]


def _url(args: argparse.Namespace) -> str:
    return str(args.url or f"http://127.0.0.1:{_core_org(args).core_port}")


def _call(args: argparse.Namespace, method: str, path: str, body: object = None) -> Any:
    """One admin API call; a write carries a fresh Idempotency-Key and is sent again with the same key if
    the connection drops, so it is booked once. Raises CoreUnavailableError, CoreRequestError."""
    url = _url(args)
    headers = {"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else {}
    last: httpx.TransportError | None = None
    with httpx.Client(base_url=url, timeout=30) as http:
        for _ in range(3):
            try:
                response = http.request(method, path, json=body, headers=headers)
                break
            except httpx.TransportError as exc:
                last = exc
        else:
            raise CoreUnavailableError(f"the core does not answer at {url} ({last})")
    data = response.json()
    if response.is_error:
        raise CoreRequestError(f"{data.get('code', response.status_code)}: {data.get('detail', response.text)}")
    return data


def cmd_open_dda(args: argparse.Namespace) -> int:
    out = _call(args, "POST", "/admin/ddas", {"dda": args.dda, "currency": args.currency, "balance": args.balance})
    print(f"opened {out['dda']} ({out['currency']}) with {out['balance']} {out['currency']}")
    return 0


def cmd_close_dda(args: argparse.Namespace) -> int:
    out = _call(args, "POST", f"/admin/ddas/{args.dda}/close")
    print(f"closed {out['dda']}")
    return 0


def cmd_fund(args: argparse.Namespace) -> int:
    out = _call(args, "POST", "/admin/fundings", {"dda": args.dda, "amount": args.amount})
    for e in out["entries"]:
        print(f"booked {e['amount']} {e['currency']} from {e['dda']}: reference {e['reference']}")
    print(f"camt.054 {out['message_id']} queued for the gateway")
    return 0


def cmd_close_day(args: argparse.Namespace) -> int:
    out = _call(args, "POST", "/admin/close-day")
    if out["message_id"] is None:
        print("nothing to state: no token liability account yet")
        return 0
    for s in out["statements"]:
        print(f"{s['account']}: {s['opening']} → {s['closing']} {s['currency']} ({s['entries']} entries)")
    print(f"camt.053 {out['message_id']} queued for the gateway")
    return 0


def cmd_balances(args: argparse.Namespace) -> int:
    out = _call(args, "GET", "/admin/balances")
    if args.json:
        print(json.dumps(out, indent=2, sort_keys=True))
        return 0
    for a in out["accounts"]:
        closed = " (closed)" if a["status"] != "open" else ""
        print(f"  {a['account']:<36} {a['kind']:<16} {a['balance']:>20} {a['currency']}{closed}")
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    out = _call(args, "GET", "/admin/outbox")
    if args.json:
        print(json.dumps(out, indent=2, sort_keys=True))
        return 0
    for m in out["messages"]:
        error = f"  {m['last_error']}" if m["last_error"] and m["status"] != "delivered" else ""
        print(f"  {m['id']:>5} {m['kind']:<16} {m['message_id']:<30} {m['status']:<10} {m['attempts']} tries{error}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the core in the foreground with the network's settings (its port, its gateway)."""
    import uvicorn
    from pydantic import SecretStr

    from core import CoreSettings, build, create_app
    from network.network import core_api_key

    org = _core_org(args)
    assert org.core_port is not None  # _core_org chose an org that runs a core
    # The network's facts, unless the environment (DEPOSITS_CORE_*) says otherwise.
    settings = CoreSettings(data_dir=args.data_dir, port=args.port or org.core_port)
    if settings.gateway_url is None:
        settings.gateway_url = f"http://127.0.0.1:{org.gateway_port}"
    if settings.gateway_api_key is None and (key := core_api_key(Layout(args.data_dir), org)) is not None:
        settings.gateway_api_key = SecretStr(key)
    components = build(settings)
    try:
        uvicorn.run(create_app(components), host=settings.host, port=settings.port, access_log=False)
    finally:
        components.service.store.close()
    return 0


def register(sub: Subcommands) -> None:
    """Add the `core` group to the `deposits` parser."""
    core = sub.add_parser("core", help="the reference core banking system (a bank operator's view)")
    core.add_argument("--url", default=None, help="the core's URL (default: the data directory's network's)")
    actions = core.add_subparsers(dest="action", required=True)
    op = actions.add_parser("open-dda", help="open a customer's DDA with an opening balance")
    op.add_argument("--dda", required=True)
    op.add_argument("--currency", required=True)
    op.add_argument("--balance", default="0", help="decimal string, e.g. 1000000.00")
    op.set_defaults(func=cmd_open_dda)
    cl = actions.add_parser("close-dda", help="close a DDA (payments to it are rejected, AC04)")
    cl.add_argument("--dda", required=True)
    cl.set_defaults(func=cmd_close_dda)
    fu = actions.add_parser("fund", help="book a funding (debit the DDA) and send its camt.054")
    fu.add_argument("--dda", required=True)
    fu.add_argument("--amount", required=True, help="decimal string, e.g. 250.00")
    fu.set_defaults(func=cmd_fund)
    actions.add_parser("close-day", help="send the camt.053 statements of the token liability").set_defaults(
        func=cmd_close_day
    )
    ba = actions.add_parser("balances", help="every account's booked balance")
    ba.add_argument("--json", action="store_true")
    ba.set_defaults(func=cmd_balances)
    ob = actions.add_parser("outbox", help="the messages queued for the gateway and their delivery state")
    ob.add_argument("--json", action="store_true")
    ob.set_defaults(func=cmd_outbox)
    sv = actions.add_parser("serve", help="run the core in the foreground")
    sv.add_argument("--port", type=int, default=None, help="default: the topology's core_port")
    sv.set_defaults(func=cmd_serve)


EXPECTED_FAILURES = (CoreUnavailableError, CoreRequestError)
