"""The outbox and its sender, in this process, against a real SMTP server (aiosmtpd) in a thread.

Rows are built directly (not through queue_email) so no task is queued for them; queueing after
commit is tested on its own with the enqueue step recorded.
"""

import datetime as dt
import email.utils

import pytest
from sqlmodel import select

from orgonaut import clock
from orgonaut.errors import ValidationFailed
from orgonaut.notify import email as outbox
from orgonaut.notify import smtp_client
from orgonaut.notify.models import EmailOutbox, EmailStatus
from orgonaut.settings import get_settings
from tests.factories import make_tenant, make_user
from tests.support.celery_queue import empty_queue, queued_tasks
from tests.support.processes import free_port
from tests.support.smtp import SmtpServer

T0 = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def smtp(monkeypatch):
    server = SmtpServer().start()
    # Only this process's settings: a worker started later still gets the run's own server.
    monkeypatch.setattr(get_settings(), "smtp_url", server.url)
    yield server
    server.stop()


@pytest.fixture
def user(session):
    return make_user(session, make_tenant(session))


def make_row(session, user, **values):
    row = EmailOutbox(tenant_id=user.tenant_id, user_id=user.id, to_address=user.email, subject="Subject line",
                      text_body="Plain text.\n.A line that starts with a dot\n",
                      html_body="<p>HTML <b>body</b></p>", message_id=email.utils.make_msgid(domain="test.local"),
                      **values)
    session.add(row)
    session.commit()
    return row


def send(session, row):
    return outbox.send_outbox_email(session=session, outbox_id=row.id)


def reload(session, row):
    return session.get(EmailOutbox, row.id, populate_existing=True)


def test_parse_smtp_url():
    plain = smtp_client.parse_smtp_url("smtp://127.0.0.1:8025")
    assert (plain.host, plain.port, plain.implicit_tls, plain.username) == ("127.0.0.1", 8025, False, None)
    assert smtp_client.parse_smtp_url("smtp://mail.example.com").port == 25
    tls = smtp_client.parse_smtp_url("smtps://alerts%40example.com:p%40ss@mail.example.com")
    assert (tls.host, tls.port, tls.implicit_tls, tls.username, tls.password) == (
        "mail.example.com", 465, True, "alerts@example.com", "p@ss")
    assert "p@ss" not in repr(tls)
    with pytest.raises(ValidationFailed) as error:
        smtp_client.parse_smtp_url("http://user:hunter2@mail.example.com")
    assert "hunter2" not in str(error.value)


def test_sends_once_with_our_message_id_and_both_bodies(session, user, smtp):
    row = make_row(session, user, created_at=T0)
    with clock.frozen_at(T0 + dt.timedelta(seconds=5)):
        assert send(session, row) == EmailStatus.sent

    [received] = smtp.wait_for(1)
    assert received.message_id == row.message_id
    assert received.rcpt_tos == (user.email,)
    assert received.mail_from == "alerts@orgonaut.local"
    assert received.message["Subject"] == "Subject line"
    assert received.message["From"] == get_settings().mail_from
    assert email.utils.parsedate_to_datetime(received.message["Date"]) == T0
    assert received.text() == "Plain text.\n.A line that starts with a dot\n"
    assert received.html() == "<p>HTML <b>body</b></p>\n"
    row = reload(session, row)
    assert (row.status, row.attempts, row.sent_at, row.last_error) == (
        EmailStatus.sent, 1, T0 + dt.timedelta(seconds=5), None)
    assert row.handed_over_at == T0 + dt.timedelta(seconds=5)

    # A repeated task finds it sent and sends nothing.
    assert send(session, row) == EmailStatus.sent
    assert len(smtp.settle(0.3)) == 1
    assert reload(session, row).attempts == 1


def test_same_bytes_on_every_attempt():
    row = EmailOutbox(tenant_id=1, to_address="a@b.test", subject="s", text_body="t", html_body="<p>h</p>",
                      message_id="<m@test>", created_at=T0)
    assert outbox.build_message(row).as_bytes() == outbox.build_message(row).as_bytes()


def test_nothing_listening_goes_back_to_pending_for_a_retry_then_fails_after_max_attempts(session, user,
                                                                                          monkeypatch):
    monkeypatch.setattr(get_settings(), "smtp_url", f"smtp://127.0.0.1:{free_port()}")
    row = make_row(session, user)
    with pytest.raises(outbox.TransientSendError):
        send(session, row)
    row = reload(session, row)
    assert (row.status, row.attempts, row.handed_over_at) == (EmailStatus.pending, 1, None)
    assert "before the data was complete" in row.last_error and "Refused" in row.last_error

    for _ in range(outbox.MAX_ATTEMPTS - 2):
        with pytest.raises(outbox.TransientSendError):
            send(session, row)
    assert send(session, row) == EmailStatus.failed
    row = reload(session, row)
    assert row.attempts == outbox.MAX_ATTEMPTS
    assert row.last_error.startswith(f"gave up after {outbox.MAX_ATTEMPTS} attempts")


def test_a_permanent_refusal_fails_without_retry(session, user, smtp):
    smtp.rcpt_reply = "550 5.1.1 No such user"
    row = make_row(session, user)
    assert send(session, row) == EmailStatus.failed
    row = reload(session, row)
    assert row.attempts == 1 and row.last_error == "RCPT TO: 550 5.1.1 No such user"
    assert smtp.settle(0.3) == []


def test_no_reply_after_the_final_dot_is_unconfirmed_and_never_sent_again(session, user, smtp, monkeypatch):
    monkeypatch.setattr(outbox, "SMTP_TIMEOUT_SECONDS", 1.0)
    smtp.stall_after_data(5)
    row = make_row(session, user)
    assert send(session, row) == EmailStatus.unconfirmed
    assert len(smtp.wait_for(1)) == 1  # the server took it at the '.'
    row = reload(session, row)
    assert row.handed_over_at is not None and row.sent_at is None
    assert "not sent again" in row.last_error

    smtp.no_stalls()
    assert send(session, row) == EmailStatus.unconfirmed
    assert len(smtp.settle(0.5)) == 1


def test_a_refused_hand_over_drops_the_connection_before_the_dot(smtp):
    message = outbox.build_message(EmailOutbox(tenant_id=1, to_address="a@b.test", subject="s", text_body="t",
                                               html_body="h", message_id="<m@test>", created_at=T0))
    with pytest.raises(smtp_client.HandOverRefused):
        smtp_client.deliver(message, sender="x@y.test", recipient="a@b.test",
                            smtp=smtp_client.parse_smtp_url(smtp.url), hand_over=lambda: False, timeout=5)
    assert smtp.settle(0.5) == []
    smtp_client.deliver(message, sender="x@y.test", recipient="a@b.test", smtp=smtp_client.parse_smtp_url(smtp.url),
                        hand_over=lambda: True, timeout=5)
    assert [r.message_id for r in smtp.wait_for(1)] == ["<m@test>"]


def test_an_attempt_taken_over_by_the_reaper_cannot_hand_over_or_finish(session, user, smtp):
    """A worker that was only slow (not dead) is fenced out once its lease ran out and the row moved on."""
    with clock.frozen_at(T0):
        row = make_row(session, user, status=EmailStatus.sending, attempts=1, sending_started_at=T0)
    with clock.frozen_at(T0 + outbox.SEND_LEASE + dt.timedelta(seconds=1)):
        result = outbox.requeue_stuck(session=session)
        session.commit()
        assert result.requeued == [row.id]
        assert send(session, row) == EmailStatus.sent  # attempt 2
    # The slow attempt 1 comes back: none of its writes land.
    assert outbox._finish(session, row.id, 1, status=EmailStatus.failed, last_error="late") is False
    row = reload(session, row)
    assert (row.status, row.attempts, row.last_error) == (EmailStatus.sent, 2, None)
    assert len(smtp.settle(0.3)) == 1


def test_reaper_requeues_dead_sends_marks_handed_over_ones_unconfirmed_and_leaves_live_ones(session, user):
    lease = outbox.SEND_LEASE
    with clock.frozen_at(T0):
        dead = make_row(session, user, status=EmailStatus.sending, attempts=1, sending_started_at=T0 - lease)
        handed = make_row(session, user, status=EmailStatus.sending, attempts=1, sending_started_at=T0 - lease,
                          handed_over_at=T0 - lease)
        live = make_row(session, user, status=EmailStatus.sending, attempts=1, sending_started_at=T0)
        lost = make_row(session, user, created_at=T0 - outbox.STUCK_PENDING_AFTER)
        fresh = make_row(session, user, created_at=T0)
        sent = make_row(session, user, status=EmailStatus.sent, attempts=1, sending_started_at=T0 - lease * 2)
    with clock.frozen_at(T0 + dt.timedelta(seconds=1)):
        result = outbox.requeue_stuck(session=session)
    assert sorted(result.requeued) == sorted([dead.id, lost.id])
    assert result.unconfirmed == [handed.id]
    rows = session.exec(select(EmailOutbox).execution_options(populate_existing=True)).all()
    statuses = {r.id: r.status for r in rows}
    assert statuses == {dead.id: "pending", handed.id: "unconfirmed", live.id: "sending", lost.id: "pending",
                        fresh.id: "pending", sent.id: "sent"}


@pytest.fixture
def broker_queue():
    empty_queue()
    yield
    empty_queue()


def queued_emails() -> list[list[int]]:
    return [args for name, args in queued_tasks() if name == "orgonaut.notify.send_email"]


def test_queue_email_is_sent_after_commit_only(session, user, broker_queue):

    kept = outbox.queue_email(session=session, user=user, subject="Kept\nsubject", text_body="t", html_body="h")
    assert kept.subject == "Kept subject" and kept.status == EmailStatus.pending
    assert kept.message_id.startswith("<") and kept.message_id.endswith("@orgonaut.local>")
    nested = session.begin_nested()
    outbox.queue_email(session=session, user=user, subject="Rolled back", text_body="t", html_body="h")
    nested.rollback()
    assert queued_emails() == []
    session.commit()
    assert queued_emails() == [[kept.id]]

    outbox.queue_email(session=session, user=user, subject="Never", text_body="t", html_body="h")
    session.rollback()
    session.commit()
    assert queued_emails() == [[kept.id]]
    assert [r.subject for r in session.exec(select(EmailOutbox)).all()] == ["Kept subject"]
    with pytest.raises(ValidationFailed):
        outbox.queue_email(session=session, user=user, subject=" ", text_body="t", html_body="h")


def test_a_bad_smtp_url_leaves_the_row_pending_for_the_fix(session, user, monkeypatch):
    monkeypatch.setattr(get_settings(), "smtp_url", "smtp:///no-host")
    row = make_row(session, user)
    with pytest.raises(ValidationFailed, match="ORGONAUT_SMTP_URL"):
        send(session, row)
    row = reload(session, row)
    assert (row.status, row.attempts) == (EmailStatus.pending, 0)
