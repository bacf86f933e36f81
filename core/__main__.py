"""`python -m core`: the reference core on 127.0.0.1:<port> (settings from `DEPOSITS_CORE_*`)."""

from __future__ import annotations

import sys

import uvicorn

from core.api import create_app
from core.bootstrap import build
from core.settings import CoreSettings


def main() -> int:
    settings = CoreSettings()  # type: ignore[call-arg]  # data_dir comes from the environment
    components = build(settings)
    try:
        uvicorn.run(create_app(components), host=settings.host, port=settings.port, access_log=False, log_level="info")
    finally:
        components.service.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
