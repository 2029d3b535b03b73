"""E-mail tasks: send one outbox row, and the reaper that recovers rows whose worker died.

Thin: the rules (claim, hand-over, fencing, retries) live in orgonaut.notify.email.
"""

from __future__ import annotations

from orgonaut.db import session_scope
from orgonaut.notify import email
from workers.celery_app import app


@app.task(
    name=email.SEND_EMAIL,
    autoretry_for=(email.TransientSendError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    # The service gives up by itself after email.MAX_ATTEMPTS; Celery keeps one retry in hand.
    max_retries=email.MAX_ATTEMPTS,
)
def send_email(outbox_id: int) -> str | None:
    with session_scope() as session:
        status = email.send_outbox_email(session=session, outbox_id=outbox_id)
    return status.value if status is not None else None


@app.task(name="orgonaut.notify.requeue_stuck_email")
def requeue_stuck_email() -> dict[str, list[int]]:
    with session_scope() as session:
        result = email.requeue_stuck(session=session)
    return {"requeued": result.requeued, "unconfirmed": result.unconfirmed}
