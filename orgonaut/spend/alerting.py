"""What the spend alerts (budgets, anomalies) share: who hears them and how one reaches each of them.

Recipients are the tenant's active owners and admins (the roles that manage AI tooling) and the active
managers for whom `manager_hears(viewer)` says yes (their Live `org.visibility` viewer: a budget's unit in
their scope, an anomaly's person they see). Each gets the alert per their preference for its category:
in-app, e-mail (through the outbox, after the commit), both or neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, col, select

from orgonaut.notify import email as outbox
from orgonaut.notify import service as notify
from orgonaut.notify.alerts import email_bodies
from orgonaut.notify.models import Category
from orgonaut.org import visibility
from orgonaut.org.visibility import UsageViewer
from orgonaut.settings import get_settings
from orgonaut.tenancy.models import ROLE_ABILITIES, Ability, Role, User

MANAGING_ROLES = frozenset(role for role, abilities in ROLE_ABILITIES.items() if Ability.ai_tooling_manage in abilities)


def usd(cents: Decimal | int) -> str:
    return f"${Decimal(cents) / 100:,.2f}"


def recipients(*, session: Session, tenant_id: int, manager_hears: Callable[[UsageViewer], bool]) -> list[User]:
    users = session.exec(select(User).where(User.tenant_id == tenant_id, User.is_active == True)  # noqa: E712
                         .order_by(col(User.id))).all()
    chosen = []
    for user in users:
        if Role(user.role) in MANAGING_ROLES or Role(user.role) == Role.manager and manager_hears(
                visibility.viewer_for(session=session, user=user, scenario_id=None)):
            chosen.append(user)
    return chosen


@dataclass(frozen=True)
class Alert:
    category: Category
    title: str
    body: str
    link: str  # in-app path
    facts: list[tuple[str, str]]
    action: str  # the e-mail's link text
    footer: str


def deliver(*, session: Session, users: list[User], alert: Alert) -> list[int]:
    """The alert to each user per their preference (flushed); the ids of the users it reached."""
    url = f"{get_settings().base_url.rstrip('/')}{alert.link}"
    text_body, html_body = email_bodies(intro=f"{alert.title}. {alert.body}", facts=alert.facts,
                                        action=alert.action, url=url, footer=alert.footer)
    reached = []
    for user in users:
        preference = notify.get_preference(session=session, user=user, category=alert.category)
        if preference.in_app:
            notify.create_notification(session=session, user=user, category=alert.category, title=alert.title,
                                       body=alert.body, link=alert.link)
        if preference.email:
            outbox.queue_email(session=session, user=user, subject=f"[Orgonaut] {alert.title}", text_body=text_body,
                               html_body=html_body)
        if preference.in_app or preference.email:
            reached.append(user.id)
    return reached
