from __future__ import annotations

import inspect

import gateway.fabric as fabric


def test_all_lists_exactly_the_public_names() -> None:
    public = {name for name in vars(fabric) if not name.startswith("_")}
    assert set(fabric.__all__) == public
    assert fabric.__all__ == sorted(fabric.__all__)


def test_public_names_come_from_private_modules() -> None:
    for name in fabric.__all__:
        module = getattr(fabric, name).__module__
        assert module.startswith("gateway.fabric._"), (name, module)


def test_calls_that_reach_the_network_name_their_errors() -> None:
    calls = {
        fabric.Proposal.endorse: "EndorseError",
        fabric.Proposal.evaluate: "EvaluateError",
        fabric.Transaction.submit: "SubmitError",
        fabric.Commit.get_status: "CommitStatusError",
        fabric.Network.get_commit_status: "CommitStatusError",
        fabric.Network.get_chaincode_events: "ChaincodeEventsError",
        fabric.Contract.evaluate_transaction: "EvaluateError",
    }
    for call, error in calls.items():
        assert error in (inspect.getdoc(call) or ""), call.__qualname__
    submit_doc = inspect.getdoc(fabric.Contract.submit_transaction) or ""
    for error in ("EndorseError", "SubmitError", "CommitStatusError", "CommitError"):
        assert error in submit_doc
