"""The `deposits` command: every group is wired, and an operator's expected failure is one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from deposits.cli import EXPECTED_FAILURES, build_parser, main
from network.health import NodeStartError
from network.topology import TopologyError


def test_every_group_is_registered() -> None:
    help_text = build_parser().format_help()
    for group in ("network", "fabric", "chaincode", "demo", "core"):
        assert group in help_text


@pytest.mark.parametrize("error", [TopologyError, NodeStartError])
def test_expected_failures_include_start_and_topology_errors(error: type[BaseException]) -> None:
    assert issubclass(error, EXPECTED_FAILURES)


def test_a_bad_topology_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    topology = tmp_path / "topology.yaml"
    topology.write_text("orgs: [not, a, topology]\n")
    code = main(["--data-dir", str(tmp_path / "data"), "--topology", str(topology), "network", "status"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("deposits: ") and err.count("\n") == 1
