"""The paywall's periodic tasks retry a transient database error a bounded number of times, and nothing else."""

import pytest
from celery.result import allow_join_result
from django.db import OperationalError

from paywall import tasks


@pytest.fixture(autouse=True)
def _eager_retries():
    """Run retries in process: with eager errors propagating (the settings), Celery would raise the first Retry."""
    conf = tasks.meter_reset_task.app.conf
    propagates, conf.task_eager_propagates = conf.task_eager_propagates, False
    yield
    conf.task_eager_propagates = propagates


def _flaky(failures: int, exc: Exception):
    calls = []

    def run():
        calls.append(1)
        if len(calls) <= failures:
            raise exc
        return {"ok": True}

    return run, calls


@pytest.mark.parametrize(
    "task, service", [("meter_reset_task", "meter_periods_close"), ("subscription_sweep_task", "subscription_sweep")]
)
def test_a_transient_database_error_is_retried(monkeypatch, task, service):
    run, calls = _flaky(2, OperationalError("server closed the connection unexpectedly"))
    monkeypatch.setattr(tasks, service, run)
    with allow_join_result():
        assert getattr(tasks, task).apply().get() == {"ok": True}
    assert len(calls) == 3


def test_retries_are_bounded(monkeypatch):
    run, calls = _flaky(100, OperationalError("deadlock detected"))
    monkeypatch.setattr(tasks, "meter_periods_close", run)
    with pytest.raises(OperationalError), allow_join_result():
        tasks.meter_reset_task.apply().get()
    assert len(calls) == 1 + tasks.meter_reset_task.max_retries == 6


def test_a_bug_is_not_retried(monkeypatch):
    run, calls = _flaky(100, ZeroDivisionError())
    monkeypatch.setattr(tasks, "meter_periods_close", run)
    with pytest.raises(ZeroDivisionError), allow_join_result():
        tasks.meter_reset_task.apply().get()
    assert len(calls) == 1
