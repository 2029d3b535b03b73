"""F13: e-mails waiting in the broker when Redis restarts are each sent exactly once.

The broker is a private redis-server; the e-mails' send tasks wait in it with no worker running
(the rows were written a while ago, their tasks queued after the commit). Redis restarts. Without
persistence the tasks are gone: the worker that starts sends nothing until beat's outbox reaper runs
(sent here to the private broker, as beat would), which queues each row once; with AOF the tasks
survive and the worker sends them by itself, and the reaper finds nothing to do. Either way the SMTP
server stores each Message-ID once, and a second reaper run queues nothing again (review R15).
"""

from __future__ import annotations

import datetime as dt
import email.utils

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from orgonaut import clock
from orgonaut.db import get_engine
from orgonaut.notify import email as outbox
from orgonaut.notify.models import EmailOutbox, EmailStatus
from tests.factories import make_tenant, make_user
from tests.failover.conftest import BrokerClient
from tests.integration.ai_tooling.test_jobs import wait_for
from tests.support.smtp import shared_server

REAPER_TASK = "orgonaut.notify.requeue_stuck_email"
pytestmark = pytest.mark.timeout(120)


def _statuses(ids: list[int]) -> dict[int, str]:
    with Session(get_engine()) as fresh:
        return {row.id: row.status for row in fresh.exec(select(EmailOutbox).where(EmailOutbox.id.in_(ids)))}  # type: ignore[attr-defined]


@pytest.mark.parametrize("aof", [False, True], ids=["no-persistence", "aof-everysec"])
def test_emails_queued_when_redis_restarts_are_each_sent_once(
    session, redis_server_factory, worker_supervisor_factory, aof
):
    smtp = shared_server()
    smtp.clear()
    user = make_user(session, make_tenant(session))
    rows = [EmailOutbox(tenant_id=user.tenant_id, user_id=user.id, to_address=user.email, subject=f"Restart {i}",
                        text_body="text", html_body="<p>html</p>", message_id=email.utils.make_msgid(domain="f13.test"))
            for i in range(3)]
    session.add_all(rows)
    session.commit()
    ids = [row.id for row in rows]
    # Written before the outage, longer ago than the reaper's lease.
    session.exec(text("UPDATE email_outbox SET created_at = :t").bindparams(  # type: ignore[call-overload]
        t=clock.utcnow() - outbox.STUCK_PENDING_AFTER - dt.timedelta(minutes=1)))
    session.commit()
    server = redis_server_factory(aof=aof)
    client = BrokerClient(server)
    for outbox_id in ids:
        client.send(outbox.SEND_EMAIL, outbox_id)  # no worker yet: they wait in the queue

    server.restart(down=0.5, kill=True) if aof else server.restart(down=0.5)
    worker = worker_supervisor_factory(server)

    if aof:
        wait_for(lambda: set(_statuses(ids).values()) == {EmailStatus.sent}, timeout=30, what="the queued sends")
    else:
        assert smtp.settle(2.0) == []  # the tasks were lost with Redis
        assert set(_statuses(ids).values()) == {EmailStatus.pending}
    first = client.result(client.send(REAPER_TASK), timeout=30)
    assert first == {"requeued": [] if aof else ids, "unconfirmed": []}
    wait_for(lambda: set(_statuses(ids).values()) == {EmailStatus.sent}, timeout=30, what="every row sent")
    again = client.result(client.send(REAPER_TASK), timeout=30)

    assert again == {"requeued": [], "unconfirmed": []}
    received = smtp.settle(1.0)
    assert sorted(r.message_id for r in received) == sorted(row.message_id for row in rows)
    assert worker.restarts == 0
