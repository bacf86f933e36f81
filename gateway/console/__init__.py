"""The web console each org's gateway serves at /console: server-rendered pages for the auditor, the bank's
operations, the platform's members and its operator, on the same service layer as the JSON API.

    console = Console(components, org, ConsoleOptions(secure_cookies=...))
    install(app, console)        # routes, static assets; the app's lifespan starts/stops console.index

Everything it serves ships in this package (templates/, static/): no CDN, no Node build.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gateway.console import _actions, _pages
from gateway.console._web import Console, ConsoleOptions


def install(app: FastAPI, console: Console) -> None:
    """Mount the console's pages under /console and its assets under /console/static."""
    app.include_router(_pages.router(console))
    app.include_router(_actions.router(console))
    app.mount("/console/static", StaticFiles(directory=Path(__file__).parent / "static"), name="console-static")


__all__ = ["Console", "ConsoleOptions", "install"]
