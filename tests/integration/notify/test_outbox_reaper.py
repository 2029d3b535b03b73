"""The outbox reaper queues a pending row once per lease (review R15), and a hand-over whose commit
fails leaves a row that is sent later instead of one given up as `unconfirmed` (R16)."""

import datetime as dt
import email.utils
import threading
import time

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from orgonaut import clock, db
from orgonaut.db import get_engine
from orgonaut.notify import email as outbox
from orgonaut.notify.models import EmailOutbox, EmailStatus
from tests.conftest import BACKEND
from tests.factories import make_tenant, make_user
from tests.integration.notify.conftest import wait_until


def _rows(session, n: int) -> list[EmailOutbox]:
    """Pending rows whose send task was lost (none was queued)."""
    user = make_user(session, make_tenant(session))
    rows = [EmailOutbox(tenant_id=user.tenant_id, user_id=user.id, to_address=user.email, subject=f"Reaper {i}",
                        text_body="text", html_body="<p>html</p>", message_id=email.utils.make_msgid(domain="r.test"))
            for i in range(n)]
    session.add_all(rows)
    session.commit()
    return rows


def _reload(session, row) -> EmailOutbox:
    return session.exec(select(EmailOutbox).where(EmailOutbox.id == row.id)
                        .execution_options(populate_existing=True)).one()


def _reap_at(session, when: dt.datetime) -> list[int]:
    """One reaper run at `when`, committed, without its sends: a worker of the run could take those
    and change the rows. What it returns is exactly what it would send after the commit."""
    with clock.frozen_at(when):
        result = outbox.requeue_stuck(session=session)
        session.info.pop(db._HOOKS, None)
        session.commit()
    return result.requeued


def test_while_workers_are_down_a_pending_row_is_queued_again_once_per_lease(session):
    rows = _rows(session, 3)
    start = clock.utcnow()

    queued = []
    for minute in range(60):  # beat's reaper every minute for an hour; no worker takes anything
        queued += _reap_at(session, start + dt.timedelta(minutes=minute, seconds=1))

    per_row = {row.id: queued.count(row.id) for row in rows}
    # Once untouched for 10 minutes, then once a lease (it is next due a minute after the lease
    # ends): at 10, 21, 32, 43 and 54 minutes; not 50 times (review R15: about 60 per row and hour).
    assert per_row == {row.id: 5 for row in rows}, per_row
    stamped = _reload(session, rows[0]).requeued_at
    assert stamped == start + dt.timedelta(minutes=54, seconds=1)


def test_a_pending_row_that_was_tried_recently_is_not_queued_again(session):
    [row] = _rows(session, 1)
    start = clock.utcnow()
    with clock.frozen_at(start + dt.timedelta(minutes=9)):  # a worker tried it (4xx) and Celery retries it
        session.exec(text("UPDATE email_outbox SET sending_started_at = :t WHERE id = :id").bindparams(
            t=clock.utcnow(), id=row.id))
        session.commit()
    assert _reap_at(session, start + dt.timedelta(minutes=11)) == []
    assert _reap_at(session, start + dt.timedelta(minutes=19, seconds=1)) == [row.id]


def test_two_reapers_at_once_queue_a_row_once(session):
    [row] = _rows(session, 1)
    when = clock.utcnow() + outbox.STUCK_PENDING_AFTER + dt.timedelta(seconds=1)
    with Session(get_engine()) as other:
        first = _reap_at(session, when)
        second = _reap_at(other, when)  # the same minute, by a second beat
    assert (first, second) == ([row.id], [])


def test_a_sending_row_past_its_lease_is_queued_once_then_waits_a_lease(session):
    [row] = _rows(session, 1)
    start = clock.utcnow()
    session.exec(text("UPDATE email_outbox SET status = 'sending', attempts = 1, sending_started_at = :t "
                      "WHERE id = :id").bindparams(t=start, id=row.id))
    session.commit()
    assert _reap_at(session, start + outbox.SEND_LEASE + dt.timedelta(seconds=1)) == [row.id]
    assert _reap_at(session, start + outbox.SEND_LEASE + dt.timedelta(minutes=1, seconds=1)) == []
    assert _reload(session, row).status == EmailStatus.pending


if BACKEND == "postgresql":  # PostgreSQL terminates the sender's connection inside its hand-over

    def test_a_hand_over_whose_commit_fails_goes_back_to_pending_and_is_sent_once(session, smtp_server):
        """R16: the hand-over's UPDATE waits on a row lock, and its connection is dropped there. The
        sender cannot know whether it committed; the '.' was never sent, so the row is pending again
        (not left `sending` for the reaper, which would give it up as `unconfirmed` had the commit
        gone through), and the next attempt sends it exactly once."""
        [row] = _rows(session, 1)
        smtp_server.stall_rcpt(2)
        outcome: list[object] = []

        def send() -> None:
            with Session(get_engine()) as sender:
                try:
                    outcome.append(outbox.send_outbox_email(session=sender, outbox_id=row.id))
                except Exception as error:
                    outcome.append(error)

        thread = threading.Thread(target=send)
        thread.start()
        assert smtp_server.stalled.wait(30), "the sender never reached RCPT TO"
        with get_engine().connect() as locker:
            locker.execute(text("SELECT id FROM email_outbox WHERE id = :id FOR UPDATE"), {"id": row.id})
            # pg_stat_activity is a snapshot per transaction: watch it from autocommit statements.
            with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
                waiting = wait_until(lambda: watcher.execute(text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE 'UPDATE email_outbox SET handed_over_at%'"
                )).scalar(), timeout=30, message="the hand-over waiting on the row lock")
                assert watcher.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": waiting}).scalar()
            time.sleep(0.5)
            locker.rollback()
        thread.join(30)

        assert len(outcome) == 1 and isinstance(outcome[0], outbox.TransientSendError), outcome
        again = _reload(session, row)
        assert (again.status, again.handed_over_at, again.attempts) == (EmailStatus.pending, None, 1)
        assert "recording the hand-over failed" in again.last_error
        assert smtp_server.settle(0.5) == []  # no '.': the server threw the message away
        smtp_server.no_stalls()

        with Session(get_engine()) as retry:
            assert outbox.send_outbox_email(session=retry, outbox_id=row.id) == EmailStatus.sent
        assert [r.message_id for r in smtp_server.settle(0.5)] == [row.message_id]
        assert _reload(session, row).attempts == 2


@pytest.fixture(autouse=True)
def _no_stray_tasks():
    """The reaper's sends go to the run's broker; no worker of this module takes them."""
    yield
    from tests.support import celery_queue

    celery_queue.empty_queue()
