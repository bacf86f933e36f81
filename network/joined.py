"""Which joining orgs (topology `joining:`) are members of a data directory's channel, in the order they joined.

`deposits network add-org` records an org in `joined.json` once the channel's configuration names it; every
later command, gateway and connector on that data directory then reads it back through `ports.topology_for`,
so the org is a member everywhere at once.
"""

from __future__ import annotations

import json

from network.layout import Layout


def recorded_joined(layout: Layout) -> list[str]:
    try:
        names = json.loads(layout.joined_file.read_text())["orgs"]
    except (OSError, ValueError, KeyError):
        return []
    return [str(n) for n in names]


def record_joined(layout: Layout, name: str) -> None:
    names = recorded_joined(layout)
    if name in names:
        return
    layout.root.mkdir(parents=True, exist_ok=True)
    tmp = layout.joined_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"orgs": [*names, name]}, sort_keys=True) + "\n")
    tmp.replace(layout.joined_file)
