"""Step timings: each observation lands in its step's cumulative buckets, and /metrics text carries them."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from gateway.step_times import Step, StepTimes


def test_observations_fill_cumulative_buckets_per_step() -> None:
    steps = StepTimes()
    steps.observe(Step.ENDORSE, 3_000_000)  # 3 ms
    steps.observe(Step.ENDORSE, 120_000_000)  # 120 ms
    steps.observe(Step.COMMIT, 40_000_000_000)  # beyond the last bound
    registry = CollectorRegistry()
    registry.register(steps)
    text = generate_latest(registry).decode()
    assert 'gateway_fabric_step_seconds_bucket{le="0.0025",step="endorse"} 0.0' in text
    assert 'gateway_fabric_step_seconds_bucket{le="0.005",step="endorse"} 1.0' in text
    assert 'gateway_fabric_step_seconds_bucket{le="0.15",step="endorse"} 2.0' in text
    assert 'gateway_fabric_step_seconds_count{step="endorse"} 2.0' in text
    assert 'gateway_fabric_step_seconds_sum{step="endorse"} 0.123' in text
    assert 'gateway_fabric_step_seconds_bucket{le="30.0",step="commit"} 0.0' in text
    assert 'gateway_fabric_step_seconds_bucket{le="+Inf",step="commit"} 1.0' in text
    assert 'gateway_fabric_step_seconds_count{step="submit"} 0.0' in text


def test_a_failing_step_is_timed_too() -> None:
    steps = StepTimes()
    try:
        with steps.timed(Step.SUBMIT):
            raise RuntimeError("orderer gone")
    except RuntimeError:
        pass
    registry = CollectorRegistry()
    registry.register(steps)
    assert 'gateway_fabric_step_seconds_count{step="submit"} 1.0' in generate_latest(registry).decode()
