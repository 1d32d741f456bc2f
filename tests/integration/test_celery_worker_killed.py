"""Email through a real Celery worker (Redis broker): 200 emails queued, the worker SIGKILLed mid-batch and
restarted; every email reaches the SMTP server exactly once (outbox row lock, late acks, redelivery, and the outbox
sweep for a message the kill made Redis lose: kombu's transport can drop one popped between BRPOP and its unacked
record, celery/kombu#1836)."""

import subprocess
import sys
import time
from collections import Counter

import pytest
import redis

from cms.core.models import OutboundEmail

from .conftest import ROOT, Proc, smtp_and_worker_env, wait_for

pytestmark = pytest.mark.integration

TOTAL = 200

ENQUEUE = f"""
import django
django.setup()
from django.db import transaction
from cms.core.email import email_enqueue
with transaction.atomic():  # the tasks are sent on commit
    for i in range({TOTAL}):
        email_enqueue(to=f"reader{{i}}@example.com", template="paywall_canceled",
                      context={{"display_name": f"Reader {{i}}"}}, key=f"integration-{{i}}")
"""


SWEEP = """
import django
django.setup()
from datetime import timedelta
from cms.core.email import email_sweep
print(email_sweep(older_than=timedelta(0), give_up_after=timedelta(days=1)))
"""


def _worker(env: dict, name: str) -> Proc:
    return Proc(
        f"celery-{name}",
        [sys.executable, "-m", "celery", "-A", "cms", "worker", "--loglevel=WARNING", "--concurrency=2",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h"],
        env=env,
    ).start()  # fmt: skip


def test_killed_worker_loses_and_duplicates_no_email(test_database_url, private_redis):
    smtp, controller, env = smtp_and_worker_env(database_url=test_database_url, redis_url=private_redis.url(0))
    workers: list[Proc] = []
    try:
        # given 200 queued emails and a worker busy sending them
        result = subprocess.run(
            [sys.executable, "-c", ENQUEUE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert OutboundEmail.objects.count() == TOTAL
        workers.append(_worker(env, "first"))
        wait_for(lambda: len(smtp.messages) >= 40, timeout=30, interval=0.005, what="40 emails sent")

        # when the worker is killed without warning in the middle of the batch, then started again
        workers[0].kill()
        workers[0].popen.wait(timeout=10)
        sent_before_kill = len(smtp.messages)
        assert sent_before_kill < TOTAL
        time.sleep(0.5)
        workers.append(_worker(env, "second"))

        # then every email arrives, exactly once
        def all_sent():
            return OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == TOTAL

        broker = redis.Redis.from_url(private_redis.url(0))

        def settled():  # every message the broker still holds has been processed and acknowledged
            return all_sent() or (broker.llen("celery") == 0 and broker.hlen("unacked") == 0)

        wait_for(settled, timeout=40, interval=0.2, what=f"the queue drained ({workers[-1].log()})")
        if not all_sent():  # a message lost by the kill: the beat's outbox sweep re-enqueues its email
            swept = subprocess.run(
                [sys.executable, "-c", SWEEP], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
            )
            assert swept.returncode == 0, swept.stderr
        wait_for(all_sent, timeout=40, interval=0.2, what=f"all emails sent ({workers[-1].log()})")
        time.sleep(1.5)  # let any redelivered duplicate run
        keys = Counter(message["X-Masthead-Key"] for message in smtp.messages)
        assert set(keys) == {f"integration-{i}" for i in range(TOTAL)}
        assert [key for key, n in keys.items() if n > 1] == []
        assert len(smtp.messages) == TOTAL
    finally:
        for worker in workers:
            worker.stop()
        controller.stop()
