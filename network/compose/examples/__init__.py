"""The committed example compose file: what `up --runtime compose` writes, for fixed example paths.

`docker-compose.yaml` beside this module is the default topology rendered with the data directory at
EXAMPLE_DATA_DIR and the project checked out at EXAMPLE_PROJECT_ROOT; a unit test keeps it in sync.
Regenerate it with `deposits network compose-file --example > network/compose/examples/docker-compose.yaml`.
"""

from __future__ import annotations

from pathlib import Path

from network.chaincode_deploy import PROJECT_ROOT
from network.compose._compose_file import ComposeInputs, render
from network.fabric_build import release_dir
from network.layout import Layout
from network.network import Network
from network.topology import DEFAULT_TOPOLOGY, load_topology

EXAMPLE_DATA_DIR = Path("/var/lib/tokenized-deposits")
EXAMPLE_PROJECT_ROOT = Path("/opt/tokenized-deposits")
EXAMPLE_FILE = Path(__file__).with_name("docker-compose.yaml")


def example_compose_file() -> str:
    topology = load_topology(DEFAULT_TOPOLOGY)
    layout = Layout(EXAMPLE_DATA_DIR)
    bindir = release_dir(topology.fabric) / "bin"  # only named, never run or read
    net = Network(topology, layout, bindir, layout.root / "config", DEFAULT_TOPOLOGY, runtime="compose")
    text = render(net.all_services(), ComposeInputs(data_dir=EXAMPLE_DATA_DIR, read_only=(PROJECT_ROOT,)))
    return text.replace(str(PROJECT_ROOT), str(EXAMPLE_PROJECT_ROOT))
