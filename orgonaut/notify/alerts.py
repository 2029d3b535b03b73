"""Alert rules: what owners and admins hear when an integration's health changes.

The health state machine (`orgonaut.integrations.health`) emits `HealthChanged` inside the transaction
that changed the status, and `StillFailing` when a sync or test fails while the integration is already
in error; `subscribe_to_health_events` (installed by `orgonaut.wiring`) routes them to
`on_health_transition` and `on_still_failing`. Everything here is written in that same transaction (notifications,
outbox rows, the cooldown mark); the e-mails are queued after it commits.

Rules (healthy means `active`):

- active -> error starts a failure episode and alerts at once.
- Any other way into error (from paused or disconnected) and every still-failing report alert only
  when no alert for this integration went out within `ORGONAUT_ALERT_COOLDOWN_HOURS`: it is the same
  ongoing failure. `integrations.last_alert_at` holds the episode's last alert time; the check and
  the mark are one conditional UPDATE, so two processes reporting at once alert once.
- error -> active ends the episode: an informational "recovered" notice, and `last_alert_at` is
  cleared, so a new failure alerts again at once. Any other way into active ends the episode too,
  without a notice (nothing was announced as broken by that path).
- Recipients: every active user of the integration's tenant, at that moment, whose role carries
  integration management (owner and admin), per their "Operational alerts" preference: in-app, e-mail,
  both or neither. The recovery notice follows the same preference, so whoever was e-mailed that
  something broke is e-mailed that it works again.

Texts say which integration (provider name and organisation), what failed (kind and the stored
message), since when (in the tenant's time zone) and link to the AI Tooling page, or to the failed
run when there is one. The stored messages are user-safe already; anything that looks like an
Anthropic key is still blanked out here, as a second line of defence.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from enum import StrEnum
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, or_, select, update

from orgonaut.ai_tooling.providers.registry import display_name
from orgonaut.clock import utcnow
from orgonaut.integrations import events
from orgonaut.integrations.error_kinds import error_kind_label
from orgonaut.integrations.models import (
    Integration,
    IntegrationStatus,
    IntegrationSyncLog,
    SyncStatus,
)
from orgonaut.notify import email as outbox
from orgonaut.notify import service
from orgonaut.notify.models import Category
from orgonaut.paths import AI_TOOLING_SETTINGS, NOTIFICATION_SETTINGS
from orgonaut.settings import get_settings
from orgonaut.tenancy.models import ROLE_ABILITIES, Ability, Tenant, User

# Roles that manage integrations receive their alerts (owner and admin in the default bundles).
ALERT_ROLES = frozenset(role for role, abilities in ROLE_ABILITIES.items() if Ability.integrations_manage in abilities)
_KEY_LIKE = re.compile(r"sk-ant-\S*")


class AlertKind(StrEnum):
    failed = "failed"  # a new failure episode
    still_failing = "still_failing"  # the same episode, after the cooldown
    recovered = "recovered"


@dataclasses.dataclass(frozen=True)
class AlertResult:
    kind: AlertKind
    notification_ids: list[int]
    outbox_ids: list[int]


# --- rules ------------------------------------------------------------------------------------


def subscribe_to_health_events() -> None:
    events.subscribe(events.HealthChanged, _health_changed)
    events.subscribe(events.StillFailing, _still_failing)


def _health_changed(event: events.HealthChanged) -> None:
    on_health_transition(session=event.session, integration=event.integration, previous=event.previous.value,
                         current=event.current.value)


def _still_failing(event: events.StillFailing) -> None:
    on_still_failing(session=event.session, integration=event.integration)


def on_health_transition(
    *, session: Session, integration: Integration, previous: str, current: str
) -> AlertResult | None:
    """For a health transition, inside the transaction that changed the status."""
    previous, current = IntegrationStatus(previous), IntegrationStatus(current)
    if previous == current:
        return None
    if current == IntegrationStatus.error:
        if previous == IntegrationStatus.active:
            _mark_alerted(session, integration)
            return _alert(session, integration, AlertKind.failed)
        if _claim_alert(session, integration):
            return _alert(session, integration, AlertKind.failed)
        return None
    if current == IntegrationStatus.active:
        _end_episode(session, integration)
        if previous == IntegrationStatus.error:
            return _alert(session, integration, AlertKind.recovered)
    return None


def on_still_failing(*, session: Session, integration: Integration) -> AlertResult | None:
    """A sync or test failed while the integration was already in error: re-alert once the cooldown passed."""
    if IntegrationStatus(integration.status) != IntegrationStatus.error:
        return None
    if _claim_alert(session, integration):
        return _alert(session, integration, AlertKind.still_failing)
    return None


def _cooldown() -> dt.timedelta:
    return dt.timedelta(hours=get_settings().alert_cooldown_hours)


def _set_last_alert(session: Session, integration: Integration, value: dt.datetime | None, *conditions) -> bool:
    result = session.exec(
        update(Integration)
        .where(col(Integration.id) == integration.id, *conditions)
        .values(last_alert_at=value)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    # Keep the caller's object in step without marking it dirty.
    set_committed_value(integration, "last_alert_at", value)
    return True


def _mark_alerted(session: Session, integration: Integration) -> None:
    _set_last_alert(session, integration, utcnow())


def _claim_alert(session: Session, integration: Integration) -> bool:
    """True when no alert went out within the cooldown, marking one now (check and mark are one UPDATE)."""
    now = utcnow()
    return _set_last_alert(
        session, integration, now,
        or_(col(Integration.last_alert_at).is_(None), col(Integration.last_alert_at) <= now - _cooldown()),
    )


def _end_episode(session: Session, integration: Integration) -> None:
    if integration.last_alert_at is not None:
        _set_last_alert(session, integration, None)


def alert_recipients(*, session: Session, tenant_id: int) -> list[User]:
    """The tenant's active users who manage integrations, right now."""
    return list(
        session.exec(
            select(User)
            .where(User.tenant_id == tenant_id, User.is_active == True,  # noqa: E712
                   col(User.role).in_([role.value for role in ALERT_ROLES]))
            .order_by(col(User.id))
        )
    )


def _alert(session: Session, integration: Integration, kind: AlertKind) -> AlertResult:
    tenant = session.get_one(Tenant, integration.tenant_id)
    message = compose(session=session, integration=integration, tenant=tenant, kind=kind)
    notification_ids: list[int] = []
    outbox_ids: list[int] = []
    for user in alert_recipients(session=session, tenant_id=integration.tenant_id):
        preference = service.get_preference(session=session, user=user, category=Category.operational)
        if preference.in_app:
            notification = service.create_notification(
                session=session, user=user, category=Category.operational, title=message.title,
                body=message.body, link=message.link,
            )
            notification_ids.append(notification.id)
        if preference.email:
            row = outbox.queue_email(session=session, user=user, subject=message.subject,
                                     text_body=message.text_body, html_body=message.html_body)
            outbox_ids.append(row.id)
    return AlertResult(kind=kind, notification_ids=notification_ids, outbox_ids=outbox_ids)


# --- texts ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AlertMessage:
    title: str
    body: str
    link: str  # in-app path
    subject: str
    text_body: str
    html_body: str


def scrub(text: str) -> str:
    return _KEY_LIKE.sub("[redacted]", text)


def local_time(moment: dt.datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def failed_run_id(*, session: Session, integration: Integration) -> int | None:
    """The newest failed sync run since the integration last succeeded, if any."""
    statement = select(IntegrationSyncLog.id).where(
        IntegrationSyncLog.integration_id == integration.id, col(IntegrationSyncLog.status) == SyncStatus.failed
    )
    if integration.last_success_at is not None:
        statement = statement.where(col(IntegrationSyncLog.created_at) >= integration.last_success_at)
    return session.exec(
        statement.order_by(col(IntegrationSyncLog.created_at).desc(), col(IntegrationSyncLog.id).desc())
    ).first()


def email_bodies(*, intro: str, facts: list[tuple[str, str]], action: str, url: str, footer: str) -> tuple[str, str]:
    """An alert e-mail's text and HTML: the intro, a table of facts, one action link, the footer with the link
    to the notification settings (every alert of every category has the same shape)."""
    preferences_url = f"{get_settings().base_url.rstrip('/')}{NOTIFICATION_SETTINGS}"
    text_lines = [intro, ""] + [f"{label}: {value}" for label, value in facts]
    text_lines += ["", f"{action}: {url}", "", footer, preferences_url, ""]
    rows = "".join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{html.escape(label)}</th>'
        f"<td>{html.escape(value)}</td></tr>"
        for label, value in facts
    )
    html_body = (
        "<!doctype html><html><body style=\"font-family:sans-serif\">"
        f"<p>{html.escape(intro)}</p><table>{rows}</table>"
        f'<p><a href="{html.escape(url, quote=True)}">{html.escape(action)}</a></p>'
        f'<p style="color:#666;font-size:12px">{html.escape(footer)} '
        f'<a href="{html.escape(preferences_url, quote=True)}">Notification settings</a></p>'
        "</body></html>"
    )
    return "\n".join(text_lines), html_body


def compose(*, session: Session, integration: Integration, tenant: Tenant, kind: AlertKind) -> AlertMessage:
    settings = get_settings()
    provider = display_name(integration.provider)
    name = f"{provider} ({integration.organization_name})" if integration.organization_name else provider
    page = AI_TOOLING_SETTINGS  # the one integrations page there is
    run_id = failed_run_id(session=session, integration=integration) if kind != AlertKind.recovered else None
    link = f"{page}?{urlencode({'run': run_id})}" if run_id is not None else page
    base = settings.base_url.rstrip("/")
    url = f"{base}{link}"
    now_local = local_time(utcnow(), tenant.timezone)

    if kind == AlertKind.recovered:
        title = f"{provider} connection recovered"
        body = f"{name} is healthy again as of {now_local}; syncing carries on as scheduled."
        facts = [("Integration", name), ("Status", "active"), ("Recovered at", now_local)]
        intro = f"The {name} connection of {tenant.name} works again."
        action = "Open the AI Tooling settings"
    else:
        kind_label = error_kind_label(integration.last_error_kind) or "Unknown error"
        what = f"{kind_label} ({integration.last_error_kind})" if integration.last_error_kind else kind_label
        details = integration.last_error or "No details were recorded."
        since = local_time(integration.error_since or utcnow(), tenant.timezone)
        still = kind == AlertKind.still_failing
        title = f"{provider} connection {'still failing' if still else 'failed'}"
        body = f"{name} has been in error since {since}. {kind_label}: {details}"
        facts = [("Integration", name), ("What failed", what), ("Details", details), ("Failing since", since)]
        intro = f"The {name} connection of {tenant.name} {'is still failing' if still else 'failed'}."
        action = "Open the failed run" if run_id is not None else "Open the AI Tooling settings"

    subject = f"[Orgonaut] {title}"
    footer = (f"You receive this because you manage integrations in {tenant.name}. "
              "Choose which alerts reach you by e-mail in your notification settings:")
    text_body, html_body = email_bodies(intro=intro, facts=facts, action=action, url=url, footer=footer)
    return AlertMessage(
        title=scrub(title), body=scrub(body), link=link, subject=scrub(subject),
        text_body=scrub(text_body), html_body=scrub(html_body),
    )
