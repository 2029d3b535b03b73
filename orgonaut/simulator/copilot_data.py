"""Deterministic GitHub Copilot data: users (id, login, SAML e-mail, seat), their `users-1-day` rows and
AI-credit usage, from a hash of (seed, login, day), so the same request always gets the same answer.

Rows follow GitHub's documented NDJSON shape (copilot-usage-metrics reference): the totals, their
breakdowns by IDE, feature, language and model (which add up to the totals), CLI totals with token
sums for users of the CLI, `used_*` flags and the internal partition fields, with GitHub's `Unknown`
where it cannot attribute something (an IDE, a language, a model, some suggested-deletion counts).
A day keeps changing for three days after it ends (GitHub: "Data typically finalizes within three
full UTC days"): its counts are 40%, 70% and 90% of the final ones on the three days after it.

One user (a roster one without SAML) is renamed, as GitHub renames: from a day on their rows carry the
new `user_login` while `user_id` stays; the seats and SAML identities (today's lists) name the login of
the day they are read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Collection, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from orgonaut.simulator.data import between, hash64, pick, uniforms

NOREPLY = "@users.noreply.github.com"  # revisions name a user `<login>@users.noreply.github.com`
IDES = ("vscode", "jetbrains", "visualstudio", "neovim", "Unknown")
FEATURES = ("code_completion", "chat_panel_ask_mode", "chat_panel_agent_mode", "agent_edit", "chat_inline")
LANGUAGES = ("python", "typescript", "go", "java", "rust", "Unknown")
MODELS = ("gpt-4.1", "claude-sonnet-4.5", "gpt-5-mini", "Unknown")
COUNTERS = ("user_initiated_interaction_count", "code_generation_activity_count", "code_acceptance_activity_count",
            "loc_suggested_to_add_sum", "loc_suggested_to_delete_sum", "loc_added_sum", "loc_deleted_sum")
CLI_COUNTS = ("prompt_count", "request_count", "session_count", "prompt_tokens_sum", "output_tokens_sum")
SETTLING = (Decimal("0.4"), Decimal("0.7"), Decimal("0.9"))  # a day's share 0, 1 and 2 days after it ended
CREDIT_PRICE = Decimal("0.01")  # dollars per AI credit
PREMIUM_REQUEST_PRICE = Decimal("0.04")  # dollars per premium request, before AI credits
AI_CREDITS_FROM = dt.date(2026, 6, 1)  # GitHub bills AI credits from then, premium requests before
ORGANIZATION_ID = 90_001
RENAMED_DAYS_AGO = 14  # the default rename: this many days before the users were made


@dataclasses.dataclass(frozen=True, slots=True)
class GithubUser:
    id: int
    login: str
    saml_email: str | None  # the SAML nameId, when the user signed in through the org's SSO
    plan: str | None  # "business" | "enterprise"; None: no seat
    seat_created: dt.datetime | None = None
    pending_cancellation: dt.date | None = None
    activity: float = 0.7  # the share of weekdays with activity
    former_login: str | None = None  # the login before `renamed_on` (`login` is the login from then on)
    renamed_on: dt.date | None = None

    def login_on(self, day: dt.date) -> str:
        """The login GitHub showed for this user on `day`."""
        if self.former_login and self.renamed_on and day < self.renamed_on:
            return self.former_login
        return self.login

    @property
    def draw_key(self) -> str:
        """What the user's draws hash: their first login, so a rename changes no activity."""
        return self.former_login or self.login


def login_of(email: str) -> str:
    """`ada.lovelace@demo.test` -> `ada-lovelace`: a GitHub login (letters, digits, single hyphens)."""
    local = email.split("@")[0].lower()
    return "-".join(part for part in "".join(c if c.isalnum() else "-" for c in local).split("-") if part)[:39]


def user_id_of(login: str, seed: int = 0) -> int:
    return 1_000_000 + hash64(f"github-id|{seed}|{login.lower()}") % 90_000_000


def make_users(roster: Sequence[str], *, seed: int, unknown_logins: Sequence[str] = (), now: dt.date,
               saml_share: float = 0.6, renamed_days_ago: int | None = RENAMED_DAYS_AGO) -> list[GithubUser]:
    """A user per roster e-mail (about `saml_share` of them with a SAML identity holding it), then the
    logins nobody in the org has (no SAML). Everyone holds a Business seat, every fifth an Enterprise
    one; the third user's seat is cancelled at the next month's start and the fifth never works. The
    first other roster user without SAML is renamed `renamed_days_ago` days before `now` (None: nobody)."""
    users = []
    for index, email in enumerate([*roster, *(f"{login}@unknown" for login in unknown_logins)]):
        known = index < len(roster)
        login = login_of(email)
        u = uniforms(f"github-user|{seed}|{login}").__next__
        created = dt.datetime(2025, 6, 1, tzinfo=dt.UTC) + dt.timedelta(days=between(u, 0, 120),
                                                                          seconds=between(u, 0, 86_399))
        users.append(GithubUser(
            id=user_id_of(login, seed), login=login,
            saml_email=email.lower() if known and u() < saml_share else None,
            plan="enterprise" if index % 5 == 4 else "business", seat_created=created,
            pending_cancellation=_next_month(now) if index == 2 else None,
            activity=0.0 if index == 4 else 0.55 + 0.4 * u(),
        ))
    if renamed_days_ago is not None:
        # Not the cancelled seat (third) nor the idle user (fifth): the rename shows on both sides.
        candidates = [i for i, user in enumerate(users[:len(roster)]) if user.saml_email is None and i not in (2, 4)]
        if candidates:
            users[candidates[0]] = renamed(users[candidates[0]], now - dt.timedelta(days=renamed_days_ago),
                                           taken={user.login for user in users})
    return users


def renamed(user: GithubUser, day: dt.date, *, taken: Collection[str] = ()) -> GithubUser:
    """The user renamed on `day`: `ada-lovelace` becomes `alovelace` (`ada-lovelace-gh` if that is taken)."""
    parts = user.login.split("-")
    login = f"{parts[0][0]}{parts[-1]}" if len(parts) > 1 else f"{user.login}-gh"
    if login in taken:
        login = f"{user.login}-gh"
    return dataclasses.replace(user, login=login, former_login=user.login, renamed_on=day)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def settled_share(day: dt.date, today: dt.date) -> Decimal:
    age = (today - day).days - 1  # 0 on the day after
    return SETTLING[age] if 0 <= age < len(SETTLING) else Decimal(1)


def user_row(user: GithubUser, day: dt.date, *, seed: int, share: Decimal = Decimal(1)) -> dict[str, Any] | None:
    """The user's row of the day, or None when they did not use Copilot that day."""
    u = uniforms(f"github-day|{seed}|{user.draw_key}|{day.isoformat()}").__next__
    rate = user.activity * (0.15 if day.weekday() >= 5 else 1.0)
    if u() >= rate:
        return None
    generations = between(u, 4, 240)
    totals = {
        "user_initiated_interaction_count": between(u, 1, 60),
        "code_generation_activity_count": generations,
        "code_acceptance_activity_count": between(u, 0, generations),
        "loc_suggested_to_add_sum": between(u, 20, 900),
        "loc_suggested_to_delete_sum": between(u, 0, 200),
        "loc_added_sum": between(u, 0, 500),
        "loc_deleted_sum": between(u, 0, 150),
    }
    totals = {name: int(value * share) for name, value in totals.items()}
    used_cli = u() < 0.35
    row: dict[str, Any] = {
        "day": day.isoformat(), "enterprise_id": None, "organization_id": ORGANIZATION_ID,
        "user_id": user.id, "user_login": user.login_on(day), **totals,
        "totals_by_ide": [{"ide": ide, **part, **_versions(ide, day, u)} for ide, part in _split(totals, IDES, u)],
        "totals_by_feature": [{"feature": f, **part} for f, part in _split(totals, FEATURES, u)],
        "totals_by_language_feature": [{"language": lang, "feature": pick(u, FEATURES), **part}
                                       for lang, part in _split(totals, LANGUAGES, u)],
        "totals_by_language_model": [{"language": lang, "model": pick(u, MODELS), **part}
                                     for lang, part in _split(totals, LANGUAGES, u)],
        "totals_by_model_feature": [{"model": m, "feature": pick(u, FEATURES), **part}
                                    for m, part in _split(totals, MODELS, u)],
        "used_agent": u() < 0.5, "used_chat": u() < 0.7, "used_cli": used_cli,
        "etl_id": f"etl-{day:%Y%m%d}-{seed}", "day_partition": day.isoformat(),
        "entity_id_partition": str(ORGANIZATION_ID),
    }
    if used_cli:
        requests = int(between(u, 1, 80) * share)
        prompt, output = int(between(u, 2_000, 900_000) * share), int(between(u, 500, 200_000) * share)
        row["totals_by_cli"] = {
            "last_known_cli_version": {"cli_version": "Unknown" if u() < 0.2 else "0.0.354",
                                       "sampled_at": f"{day.isoformat()}T17:04:00Z"},
            "prompt_count": int(between(u, 1, 40) * share), "request_count": requests,
            "session_count": int(between(u, 1, 6) * share),
            "token_usage": {"prompt_tokens_sum": prompt, "output_tokens_sum": output,
                            "avg_tokens_per_request": round((prompt + output) / requests, 1) if requests else 0},
        }
    if u() < 0.15:  # GitHub could not attribute the suggested deletions
        row["loc_suggested_to_delete_sum"] = "Unknown"
    return row


def _split(totals: dict[str, int], names: Sequence[str], u: Callable[[], float]) -> list[tuple[str, dict[str, int]]]:
    """The totals split over one or two of `names` (the breakdown adds up to the totals)."""
    first = pick(u, names)
    second = pick(u, [name for name in names if name != first])
    if u() < 0.5:
        return [(first, dict(totals))]
    cut = u()
    one = {name: int(value * cut) for name, value in totals.items()}
    return [(first, one), (second, {name: value - one[name] for name, value in totals.items()})]


def _versions(ide: str, day: dt.date, u: Callable[[], float]) -> dict[str, Any]:
    sampled = f"{day.isoformat()}T09:{between(u, 10, 59)}:00Z"
    if ide == "Unknown":
        return {}
    return {"last_known_ide_version": {"ide_version": f"1.{between(u, 90, 106)}.0", "sampled_at": sampled},
            "last_known_plugin_version": {"plugin": "copilot-chat", "plugin_version": f"0.{between(u, 20, 33)}.1",
                                          "sampled_at": sampled}}


def credit_items(login: str, day: dt.date, *, seed: int) -> list[dict[str, Any]]:
    """The user's usage-based billing items of the day (one or two models): AI credits from June 2026,
    premium requests before (model multipliers make fractional requests); amounts are dollars as
    JSON numbers, some fully covered by the included allowance (netAmount 0)."""
    u = uniforms(f"github-credits|{seed}|{login}|{day.isoformat()}").__next__
    credits = day >= AI_CREDITS_FROM
    price = CREDIT_PRICE if credits else PREMIUM_REQUEST_PRICE
    items = []
    for model in dict.fromkeys(pick(u, MODELS[:3]) for _ in range(between(u, 1, 2))):
        gross = Decimal(between(u, 1, 9_000 if credits else 2_500)) / 100  # to a hundredth
        discount = gross if u() < 0.6 else Decimal(0)  # covered by the included allowance
        net = gross - discount
        items.append({
            "product": "copilot", "sku": "copilot_ai_credit" if credits else "copilot_premium_request",
            "model": model, "unitType": "ai-credits" if credits else "requests",
            "pricePerUnit": float(price), "grossQuantity": float(gross),
            "grossAmount": float(gross * price), "discountQuantity": float(discount),
            "discountAmount": float(discount * price), "netQuantity": float(net),
            "netAmount": float(net * price),
        })
    return items


def seat_json(user: GithubUser, today: dt.date) -> dict[str, Any]:
    """The user's seat as the seats list gives it `today` (its assignee's login that day)."""
    created = user.seat_created or dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    return {
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "updated_at": created.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "pending_cancellation_date": user.pending_cancellation.isoformat() if user.pending_cancellation else None,
        "last_activity_at": None if user.activity == 0 else created.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "last_activity_editor": None if user.activity == 0 else "vscode/1.104.0/copilot-chat/0.31.1",
        "last_authenticated_at": created.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "plan_type": user.plan,
        "assignee": {"login": user.login_on(today), "id": user.id, "node_id": f"U_sim{user.id}",
                     "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
                     "type": "User", "site_admin": False},
        "assigning_team": None,
    }


def scaled_row(row: dict[str, Any], factor: Decimal) -> dict[str, Any]:
    """Every count of the row (totals, breakdowns, CLI) × factor, rounded half-even."""
    def scale(value: Any, name: str) -> Any:
        if isinstance(value, dict):
            return {key: scale(item, key) for key, item in value.items()}
        if isinstance(value, list):
            return [scale(item, name) for item in value]
        if isinstance(value, int) and not isinstance(value, bool) and name in (*COUNTERS, *CLI_COUNTS):
            return int((value * factor).to_integral_value(ROUND_HALF_EVEN))
        return value

    return {key: scale(value, key) for key, value in row.items()}


def grown_row(row: dict[str, Any], growths: int) -> dict[str, Any]:
    """The row after `growths` late additions: more interactions and lines (its breakdowns' first entries too)."""
    grown = dict(row)
    extra = {"user_initiated_interaction_count": 2 * growths, "loc_added_sum": 7 * growths,
             "loc_deleted_sum": 3 * growths}
    for name, more in extra.items():
        grown[name] = row[name] + more
    for breakdown in ("totals_by_ide", "totals_by_feature", "totals_by_language_feature",
                      "totals_by_language_model", "totals_by_model_feature"):
        entries = [dict(entry) for entry in row[breakdown]]
        for name, more in extra.items():
            entries[0][name] += more
        grown[breakdown] = entries
    return grown
