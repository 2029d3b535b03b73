"""A worker killed while sending causes no duplicate e-mail (real workers, real SMTP, SIGKILL).

The killed worker and its successor listen on a queue of their own (CELERY_WORKER_QUEUES), so the
run's shared worker never takes the first send. The SMTP server stalls at a chosen step so the kill
lands there. Celery would hand the killed task to another worker only after the broker's visibility
timeout (an hour); the outbox reaper is what brings the row back, and the task is then sent again
by hand, as that redelivery would.
"""

import datetime as dt
import email.utils

import pytest
from sqlmodel import select

from orgonaut import clock
from orgonaut.notify import email as outbox
from orgonaut.notify.models import EmailOutbox, EmailStatus
from tests.factories import make_tenant, make_user
from tests.integration.notify.conftest import wait_until
from tests.support.processes import Worker
from workers.notify_tasks import send_email

QUEUE = "notify-crash-test"


@pytest.fixture
def workers(run_dir):
    started: list[Worker] = []

    def start() -> Worker:
        worker = Worker(run_dir / f"crash-worker-{len(started)}.log", concurrency=2,
                        extra_env={"CELERY_WORKER_QUEUES": QUEUE})
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()


def _send(outbox_id: int):
    return send_email.apply_async(args=[outbox_id], queue=QUEUE)


def _row(session) -> EmailOutbox:
    user = make_user(session, make_tenant(session))
    row = EmailOutbox(tenant_id=user.tenant_id, user_id=user.id, to_address=user.email, subject="Crash test",
                      text_body="text", html_body="<p>html</p>", message_id=email.utils.make_msgid(domain="crash.test"))
    session.add(row)
    session.commit()
    return row


def _reload(session, row) -> EmailOutbox:
    return session.exec(select(EmailOutbox).where(EmailOutbox.id == row.id)
                        .execution_options(populate_existing=True)).one()


def _reap(session) -> outbox.RequeueResult:
    with clock.frozen_at(clock.utcnow() + outbox.SEND_LEASE + dt.timedelta(seconds=1)):
        result = outbox.requeue_stuck(session=session)
    session.commit()
    return result


def test_killed_before_the_data_ended_is_sent_once_by_the_next_worker(session, smtp_server, workers):
    row = _row(session)
    smtp_server.stall_rcpt(120)
    first = workers()
    _send(row.id)
    assert smtp_server.stalled.wait(30), "the worker never reached RCPT TO"
    assert _reload(session, row).status == EmailStatus.sending
    first.kill()

    assert smtp_server.settle(0.5) == []  # the server threw the unfinished message away
    stuck = _reload(session, row)
    assert (stuck.status, stuck.attempts, stuck.handed_over_at) == (EmailStatus.sending, 1, None)

    smtp_server.no_stalls()
    assert _reap(session).requeued == [row.id]
    workers()
    assert _send(row.id).get(timeout=60) in ("sent", "sending")
    sent = wait_until(lambda: (r := _reload(session, row)).status == EmailStatus.sent and r, message="sent")
    assert sent.attempts == 2

    # The killed task, redelivered once more: it finds the row sent.
    assert _send(row.id).get(timeout=60) == "sent"
    received = smtp_server.settle(1.0)
    assert [r.message_id for r in received] == [row.message_id]


def test_killed_after_the_data_ended_is_never_sent_again(session, smtp_server, workers):
    row = _row(session)
    smtp_server.stall_after_data(120)
    first = workers()
    _send(row.id)
    assert smtp_server.stalled.wait(30), "the worker never finished the data"
    assert _reload(session, row).handed_over_at is not None
    first.kill()

    assert [r.message_id for r in smtp_server.received] == [row.message_id]  # taken at the '.'
    smtp_server.no_stalls()
    result = _reap(session)
    assert (result.requeued, result.unconfirmed) == ([], [row.id])
    workers()
    assert _send(row.id).get(timeout=60) == "unconfirmed"

    received = smtp_server.settle(1.0)
    assert [r.message_id for r in received] == [row.message_id]
    final = _reload(session, row)
    assert (final.status, final.attempts, final.sent_at) == (EmailStatus.unconfirmed, 1, None)
    assert "not sent again" in final.last_error


def test_two_tasks_for_one_row_at_once_send_it_once(session, smtp_server, workers):
    row = _row(session)
    smtp_server.stall_rcpt(2)
    workers()
    results = [_send(row.id), _send(row.id)]
    assert sorted(r.get(timeout=60) for r in results) == ["sending", "sent"]
    received = smtp_server.settle(1.0)
    assert [r.message_id for r in received] == [row.message_id]
    assert _reload(session, row).attempts == 1
