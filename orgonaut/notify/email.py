"""The e-mail outbox and its SMTP sender.

An e-mail is a row in `email_outbox`, written in the same transaction as whatever caused it; the
send task is queued after that transaction commits (a session hook, so callers need not know).

Exactly once, and why: an SMTP server takes a message when it receives the final "." of the data
(RFC 5321); before that it throws a half-sent message away, so everything up to the "." may be
repeated safely. The sender therefore

1. claims the row with a conditional UPDATE (pending -> sending, attempts + 1) and commits, so two
   tasks for one row never both proceed;
2. talks SMTP up to the end of the data, then, in its own commit, records `handed_over_at` with a
   second conditional UPDATE fenced by its attempt number (a slow attempt that was taken over fails
   this and drops the connection without the "."; should that commit raise, it may still have
   happened, so the row goes back to pending in a fresh session, since the "." was never sent);
3. sends the "." and records `sent` (250), `failed` (5xx), back to `pending` (4xx, retried), or
   `unconfirmed` when the reply never came.

So the "." goes out at most once per row, whatever crashes: no duplicate ever leaves us. A worker
that dies before step 2 leaves a `sending` row that `requeue_stuck` puts back to `pending` after
`SEND_LEASE`; one that dies between the "." and the reply leaves `handed_over_at` set, and that row
becomes `unconfirmed` (the server most likely has it), never re-sent. Each message carries a
Message-ID we generate, unique in the table, the same on every attempt.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import email.policy
import email.utils
import functools
import hashlib
import logging
from email.message import EmailMessage

from sqlmodel import Session, col, select, update

from orgonaut import jobs
from orgonaut.clock import utcnow
from orgonaut.db import after_commit
from orgonaut.errors import ValidationFailed
from orgonaut.notify.models import EmailOutbox, EmailStatus
from orgonaut.notify.smtp_client import (
    HandOverRefused,
    HandOverUndone,
    SmtpOutcomeUnknown,
    SmtpPermanent,
    SmtpTransient,
    deliver,
    parse_smtp_url,
)
from orgonaut.settings import get_settings
from orgonaut.tenancy.models import User
from orgonaut.tenancy.service import validate_email

logger = logging.getLogger(__name__)

# The send task's name (`workers/notify_tasks.py` registers it); queued through `orgonaut.jobs`.
SEND_EMAIL = "orgonaut.notify.send_email"
MAX_ATTEMPTS = 6
SMTP_TIMEOUT_SECONDS = 30.0
# Longer than any live attempt needs before its hand-over (a few SMTP round trips of at most
# SMTP_TIMEOUT_SECONDS each); past it, the attempt's worker is taken to be dead.
SEND_LEASE = dt.timedelta(minutes=10)
# A pending row untouched this long lost its task (e.g. Redis was down after the commit).
STUCK_PENDING_AFTER = dt.timedelta(minutes=10)


# --- the outbox -------------------------------------------------------------------------------


def _mail_domain() -> str:
    _, address = email.utils.parseaddr(get_settings().mail_from)
    return address.rpartition("@")[2] or "orgonaut.local"


def queue_email(
    *, session: Session, user: User, subject: str, text_body: str, html_body: str
) -> EmailOutbox:
    """Writes one e-mail to the outbox (flushed); it is sent after the session commits."""
    subject = " ".join(subject.split())  # no line breaks in a header
    if not subject:
        raise ValidationFailed("An e-mail needs a subject.")
    row = EmailOutbox(
        tenant_id=user.tenant_id, user_id=user.id, to_address=validate_email(user.email), subject=subject[:300],
        text_body=text_body, html_body=html_body, message_id=email.utils.make_msgid(domain=_mail_domain()),
    )
    session.add(row)
    session.flush()
    send_after_commit(session, row.id)
    return row


def build_message(row: EmailOutbox) -> EmailMessage:
    """The same bytes on every attempt: headers come from the row, not from the moment of sending."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = get_settings().mail_from
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = email.utils.format_datetime(row.created_at)
    message["Message-ID"] = row.message_id
    message.set_content(row.text_body)
    message.add_alternative(row.html_body, subtype="html")
    # A boundary from the Message-ID instead of a random one, so every attempt is byte-identical.
    message.set_boundary("=_" + hashlib.sha256(row.message_id.encode()).hexdigest()[:40])
    return message


# --- queueing after commit --------------------------------------------------------------------

def send_after_commit(session: Session, outbox_id: int) -> None:
    """Queue the send task for `outbox_id` once the session's transaction commits (never if it rolls back)."""
    after_commit(session, functools.partial(_enqueue, [outbox_id]))


def _enqueue(outbox_ids: list[int]) -> None:
    for outbox_id in outbox_ids:
        try:
            jobs.send(SEND_EMAIL, args=[outbox_id])
        except Exception:
            # The row stays pending; requeue_stuck picks it up once the broker answers again.
            logger.exception("could not queue e-mail %s; the outbox reaper will retry it", outbox_id)


# --- the sender -------------------------------------------------------------------------------


def _finish(session: Session, outbox_id: int, attempt: int, **values) -> bool:
    """Records an attempt's outcome, only while that attempt still owns the row; commits."""
    result = session.exec(
        update(EmailOutbox)
        .where(col(EmailOutbox.id) == outbox_id, col(EmailOutbox.status) == EmailStatus.sending,
               col(EmailOutbox.attempts) == attempt)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


class TransientSendError(Exception):
    """The e-mail went back to pending; the task retries it later."""


def send_outbox_email(*, session: Session, outbox_id: int) -> EmailStatus | None:
    """Sends one outbox row at most once. Commits on `session` at each step (see the module doc).

    Returns the row's status afterwards (None when the row is gone); raises TransientSendError when
    the row went back to pending and should be retried.
    """
    settings = get_settings()
    # A bad ORGONAUT_SMTP_URL raises here, before the claim: the row waits, pending, for the fix.
    smtp = parse_smtp_url(settings.smtp_url)
    claim = session.exec(
        update(EmailOutbox)
        .where(col(EmailOutbox.id) == outbox_id, col(EmailOutbox.status) == EmailStatus.pending)
        .values(status=EmailStatus.sending, sending_started_at=utcnow(), handed_over_at=None,
                attempts=EmailOutbox.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    row = session.get(EmailOutbox, outbox_id, populate_existing=True)
    if row is None:
        return None
    if claim.rowcount != 1:
        # Sent, given up, unconfirmed, or another worker holds it: nothing to do here.
        return EmailStatus(row.status)
    attempt, recipient, message = row.attempts, row.to_address, build_message(row)
    session.commit()  # no transaction stays open while we talk to the SMTP server

    def hand_over() -> bool:
        try:
            result = session.exec(
                update(EmailOutbox)
                .where(col(EmailOutbox.id) == outbox_id, col(EmailOutbox.status) == EmailStatus.sending,
                       col(EmailOutbox.attempts) == attempt, col(EmailOutbox.handed_over_at).is_(None))
                .values(handed_over_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            session.commit()
        except Exception as error:
            _undo_hand_over(session, outbox_id, attempt, error)  # raises HandOverUndone when it could
            raise
        return result.rowcount == 1

    _, sender = email.utils.parseaddr(settings.mail_from)
    try:
        deliver(message, sender=sender, recipient=recipient, smtp=smtp, hand_over=hand_over,
                timeout=SMTP_TIMEOUT_SECONDS)
    except HandOverUndone as undone:
        raise TransientSendError(str(undone)) from None
    except HandOverRefused:
        logger.warning("e-mail %s: attempt %s was taken over by a later attempt; stopped before sending", outbox_id,
                       attempt)
        return _status(session, outbox_id)
    except SmtpOutcomeUnknown as error:
        _finish(session, outbox_id, attempt, status=EmailStatus.unconfirmed, last_error=str(error))
        return _status(session, outbox_id)
    except SmtpPermanent as error:
        _finish(session, outbox_id, attempt, status=EmailStatus.failed, last_error=str(error))
        return _status(session, outbox_id)
    except SmtpTransient as error:
        if attempt >= MAX_ATTEMPTS:
            _finish(session, outbox_id, attempt, status=EmailStatus.failed,
                    last_error=f"gave up after {attempt} attempts: {error}")
            return _status(session, outbox_id)
        if _finish(session, outbox_id, attempt, status=EmailStatus.pending, handed_over_at=None,
                   last_error=str(error)):
            raise TransientSendError(str(error)) from None
        return _status(session, outbox_id)
    _finish(session, outbox_id, attempt, status=EmailStatus.sent, sent_at=utcnow(), last_error=None)
    return _status(session, outbox_id)


def _undo_hand_over(session: Session, outbox_id: int, attempt: int, error: Exception) -> None:
    """The hand-over's commit raised: it may have been committed all the same (the connection broke
    after the server's COMMIT, review R16). The final '.' was never sent, so in a fresh session the
    row goes back to pending, `handed_over_at` cleared, while this attempt still owns it; otherwise
    the reaper would take a set `handed_over_at` for a message the server may have, and never send
    it. Raises HandOverUndone when that worked; returns (the caller re-raises) when it did not: the
    row then waits for the reaper."""
    with contextlib.suppress(Exception):
        session.rollback()
    try:
        with Session(session.get_bind()) as fresh:
            result = fresh.exec(
                update(EmailOutbox)
                .where(col(EmailOutbox.id) == outbox_id, col(EmailOutbox.status) == EmailStatus.sending,
                       col(EmailOutbox.attempts) == attempt)
                .values(status=EmailStatus.pending, handed_over_at=None,
                        last_error=f"recording the hand-over failed ({type(error).__name__}); not sent, "
                                   "queued again")
                .execution_options(synchronize_session=False)
            )
            fresh.commit()
    except Exception:
        logger.warning("e-mail %s: the hand-over failed and could not be undone; the reaper decides", outbox_id,
                       exc_info=True)
        return
    if result.rowcount == 1:
        logger.warning("e-mail %s: recording the hand-over failed (%s); not sent, pending again", outbox_id,
                       type(error).__name__)
        raise HandOverUndone(f"recording the hand-over failed ({type(error).__name__})") from error


def _status(session: Session, outbox_id: int) -> EmailStatus | None:
    row = session.get(EmailOutbox, outbox_id, populate_existing=True)
    return EmailStatus(row.status) if row is not None else None


@dataclasses.dataclass(frozen=True)
class RequeueResult:
    requeued: list[int]  # queued again (after the commit)
    unconfirmed: list[int]  # handed over by a worker that died before the reply: not sent again


def requeue_stuck(*, session: Session) -> RequeueResult:
    """The outbox reaper (run every minute or so): recovers rows whose worker died or whose task was lost.

    A `sending` row past SEND_LEASE that was never handed over goes back to pending and is queued
    again; one that was handed over becomes `unconfirmed`. A pending row untouched for
    STUCK_PENDING_AFTER (created, tried, or queued again by the reaper: `requeued_at`) is queued
    again. Each change is a conditional UPDATE on the row's attempt,
    so a late worker and the reaper can never both win. Queues after the caller commits.
    """
    now = utcnow()
    lease_cutoff = now - SEND_LEASE
    stale = session.exec(
        select(EmailOutbox.id, EmailOutbox.attempts, EmailOutbox.handed_over_at).where(
            col(EmailOutbox.status) == EmailStatus.sending, col(EmailOutbox.sending_started_at) < lease_cutoff
        )
    ).all()
    requeued: list[int] = []
    unconfirmed: list[int] = []
    for outbox_id, attempt, handed_over_at in stale:
        guard = update(EmailOutbox).where(
            col(EmailOutbox.id) == outbox_id, col(EmailOutbox.status) == EmailStatus.sending,
            col(EmailOutbox.attempts) == attempt,
        ).execution_options(synchronize_session=False)
        if handed_over_at is not None:
            result = session.exec(
                guard.where(col(EmailOutbox.handed_over_at).is_not(None)).values(
                    status=EmailStatus.unconfirmed,
                    last_error="the worker stopped after handing the message to the SMTP server and before its "
                               "reply; not sent again so it cannot arrive twice",
                )
            )
            if result.rowcount == 1:
                unconfirmed.append(outbox_id)
        else:
            result = session.exec(
                guard.where(col(EmailOutbox.handed_over_at).is_(None)).values(
                    status=EmailStatus.pending, requeued_at=now,
                    last_error="the worker stopped before sending; queued again",
                )
            )
            if result.rowcount == 1:
                requeued.append(outbox_id)
    # A pending row is queued again once nothing touched it for a lease: not created, tried or
    # queued again by us within STUCK_PENDING_AFTER. So while the workers are down each row is
    # queued once per lease, not once per reaper run (review R15).
    pending_cutoff = now - STUCK_PENDING_AFTER
    untouched = (
        (col(EmailOutbox.status) == EmailStatus.pending)
        & (col(EmailOutbox.created_at) < pending_cutoff)
        & (col(EmailOutbox.sending_started_at).is_(None) | (col(EmailOutbox.sending_started_at) < pending_cutoff))
        & (col(EmailOutbox.requeued_at).is_(None) | (col(EmailOutbox.requeued_at) < pending_cutoff))
    )
    for outbox_id in session.exec(select(EmailOutbox.id).where(untouched).order_by(col(EmailOutbox.id))).all():
        if outbox_id in requeued:
            continue
        result = session.exec(  # a second reaper running at once queues it once, not twice
            update(EmailOutbox).where(col(EmailOutbox.id) == outbox_id, untouched)
            .values(requeued_at=now).execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            requeued.append(outbox_id)
    for outbox_id in requeued:
        send_after_commit(session, outbox_id)
    session.flush()
    return RequeueResult(requeued=requeued, unconfirmed=unconfirmed)


def list_outbox(*, session: Session, tenant_id: int, status: EmailStatus | None = None) -> list[EmailOutbox]:
    statement = select(EmailOutbox).where(EmailOutbox.tenant_id == tenant_id)
    if status is not None:
        statement = statement.where(col(EmailOutbox.status) == status)
    return list(session.exec(statement.order_by(col(EmailOutbox.id))))

