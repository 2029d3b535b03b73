"""Deterministic Codex workspace data: users and each user-day's usage row, as OpenAI's Codex Enterprise
Analytics API serves it (`group_by=day`, per-user rows).

Every number comes from a hash of (seed, user, date), like the other generators (data.py's helpers and
weekday rhythm): adding someone changes nobody else's data. A user has an OpenAI user id
(`user-…`); OpenAI shows their e-mail "when allowed": about one user in five has none (or the ones
`hidden_emails` names). A working day is one row: one to three clients (`cli`, `ide`, `cloud`,
`code_review`; names not verified), each with threads, turns, tokens and the credits of its model at
the rate card (credits per million uncached input / cached input / output tokens; fast mode ×2);
`models[]` sums credits per model and speed, `totals` sums the clients, and most rows carry
`code_attribution`. Credits are exact Decimals (the JSON text writes them as numbers).

Late rows: a row arrives some hours after its day ends (most within 12 h, some up to 4½ days), and
about two in five first show partial numbers (× 0.6) until they settle, at most 5 days after the day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from orgonaut.simulator.data import between, day_draw, hash64, pick, uniforms, works
from orgonaut.simulator.revisions import Revision

# Model -> credits per million tokens (uncached input, cached input, output), from the Codex rate card.
MODELS: dict[str, tuple[Decimal, Decimal, Decimal]] = {
    "gpt-5.5": (Decimal(125), Decimal("12.5"), Decimal(750)),
    "gpt-5.4": (Decimal("62.5"), Decimal("6.25"), Decimal(375)),
}
CLIENTS = ("cli", "ide", "cloud", "code_review")
DAY_SECONDS = 86_400
SETTLED_AFTER = dt.timedelta(days=5)  # no row changes later than this after its day ends
PARTIAL = Decimal("0.6")
MICRO = Decimal("0.000001")
DAY_CACHE_SIZE = 64
COUNT_FIELDS = ("threads", "turns", "uncached_text_input_tokens", "cached_text_input_tokens", "text_output_tokens",
                "text_total_tokens", "lines_added", "lines_removed")


def day_start(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * DAY_SECONDS


@dataclasses.dataclass(frozen=True, slots=True)
class CodexUser:
    user_id: str
    email: str  # the person's e-mail (whether OpenAI shows it or not)
    email_shown: bool


def make_users(emails: Sequence[str], *, seed: int = 0,
               hidden_emails: Collection[str] | None = None) -> list[CodexUser]:
    """A user per e-mail, with an OpenAI-style user id; the e-mail is hidden for `hidden_emails`, or
    (None) for about one user in five by hash."""
    hidden = {email.lower() for email in hidden_emails} if hidden_emails is not None else None
    users = []
    for email in dict.fromkeys(emails):
        key = hash64(f"{seed}|codex-user|{email.lower()}")
        shown = email.lower() not in hidden if hidden is not None else key % 5 != 0
        users.append(CodexUser(f"user-{key:016x}{hash64(str(key)) % 10**8:08d}", email, shown))
    return sorted(users, key=lambda user: user.user_id)


@dataclasses.dataclass(frozen=True, slots=True)
class _Profile:
    key: int
    intensity: float
    weekday_rate: float
    weekend_rate: float
    model: str
    client: str


class CodexUsage:
    """Each day's rows (the DaySource of records.py), made on first use and kept for recent days."""

    def __init__(self, *, seed: int, users: Sequence[CodexUser], every_day: bool = False):
        self.seed = seed
        self.users = list(users)
        self.every_day = every_day
        self._profiles = {user.user_id: self._profile(user.user_id) for user in self.users}
        self._days: OrderedDict[dt.date, list[dict[str, Any]]] = OrderedDict()

    def _profile(self, user_id: str) -> _Profile:
        u = uniforms(f"{self.seed}|codex|{user_id}").__next__
        heavy = u() < 0.1
        return _Profile(hash64(f"{self.seed}|codex-day|{user_id}"), (3 + 2 * u()) if heavy else 0.5 + u(),
                        0.55 + 0.4 * u(), 0.03 + 0.12 * u(), pick(u, tuple(MODELS)), pick(u, CLIENTS[:3]))

    # -- the DaySource ------------------------------------------------------------------------------------

    def records(self, day: dt.date) -> list[dict[str, Any]]:
        """The day's rows, one per user who used Codex, by user id."""
        cached = self._days.get(day)
        if cached is not None:
            self._days.move_to_end(day)
            return cached
        rows = [row for user in self.users if (row := self._row(user, day)) is not None]
        self._days[day] = rows
        if len(self._days) > DAY_CACHE_SIZE:
            self._days.popitem(last=False)
        return rows

    def grown_record(self, day: dt.date, neighbour: dict[str, Any], n: int) -> dict[str, Any]:
        """The n-th row that joins `day` after it was first served (a grow fault): the neighbour's user,
        one client, new numbers from (seed, user, day, n)."""
        u = uniforms(f"{self.seed}|{neighbour['user_id']}|{day.isoformat()}|grow{n}").__next__
        row = _identity(neighbour)
        row.update(self._usage(u, day, self._profiles.get(neighbour["user_id"]) or self._profile(neighbour["user_id"]),
                               clients=1))
        return row

    @staticmethod
    def touches(revision: Revision, record: dict[str, Any]) -> bool:
        return str(record.get("email", "")).lower() == revision.email.lower()

    @classmethod
    def revise(cls, revision: Revision, record: dict[str, Any]) -> dict[str, Any] | None:
        """The row after the revision (None: dropped); others' unchanged. Only rows showing an e-mail
        can be revised (a revision names people by e-mail)."""
        if not cls.touches(revision, record):
            return record
        if revision.action == "drop":
            return None
        if revision.action == "move":
            return {**record, "email": revision.to_email, "actor": {**record["actor"], "email": revision.to_email}}
        return scaled(record, revision.factor or Decimal(1))

    # -- late rows ----------------------------------------------------------------------------------------

    def lateness(self, record: dict[str, Any], day: dt.date) -> tuple[dt.timedelta, dt.timedelta]:
        """(when the row arrives, when it settles), after its day ends."""
        u = uniforms(f"{self.seed}|codex-late|{record['user_id']}|{day.isoformat()}").__next__
        draw = u()
        hours = 1 + 11 * u() if draw < 0.7 else 12 + 36 * u() if draw < 0.9 else 48 + 60 * u()
        arrives = dt.timedelta(hours=hours)
        settles = arrives + (SETTLED_AFTER - arrives) * u() if u() < 0.4 else arrives
        return arrives, settles

    def as_of(self, record: dict[str, Any], day: dt.date, now: dt.datetime) -> dict[str, Any] | None:
        """The row as the API serves it at `now`: None before it arrives, partial until it settles,
        else the row itself."""
        ended = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        if now - ended >= SETTLED_AFTER:
            return record
        arrives, settles = self.lateness(record, day)
        if now < ended + arrives:
            return None
        return record if now >= ended + settles else scaled(record, PARTIAL)

    # -- generation ---------------------------------------------------------------------------------------

    def _row(self, user: CodexUser, day: dt.date) -> dict[str, Any] | None:
        profile = self._profiles[user.user_id]
        if not self.every_day and not works(day_draw(profile.key, day), day, profile.weekday_rate,
                                            profile.weekend_rate):
            return None
        u = uniforms(f"{self.seed}|codex|{user.user_id}|{day.isoformat()}").__next__
        clients = 1 + (u() < 0.45) + (u() < 0.15)
        actor: dict[str, Any] = {"type": "user", "user_id": user.user_id}
        row: dict[str, Any] = {"object": "analytics.codex.usage", "start_time": day_start(day),
                               "end_time": day_start(day) + DAY_SECONDS, "user_id": user.user_id}
        if user.email_shown:
            row["email"] = actor["email"] = user.email
        row["actor"] = actor
        row.update(self._usage(u, day, profile, clients=clients))
        return row

    @staticmethod
    def _usage(u: Callable[[], float], day: dt.date, profile: _Profile, *, clients: int) -> dict[str, Any]:
        names = [profile.client, *(name for name in CLIENTS if name != profile.client)][:clients]
        entries: list[dict[str, Any]] = []
        models: dict[tuple[str, str], Decimal] = {}
        for name in names:
            scale = profile.intensity * (1 if name == profile.client else 0.4)
            threads = max(1, round(scale * between(u, 1, 5)))
            uncached = round(scale * between(u, 2_000, 300_000))
            cached = uncached * between(u, 0, 8)
            output = round(scale * between(u, 500, 40_000))
            model = profile.model if u() < 0.7 else pick(u, tuple(MODELS))
            speed = "fast" if u() < 0.1 else "standard"
            rate_in, rate_cached, rate_out = MODELS[model]
            credits = ((uncached * rate_in + cached * rate_cached + output * rate_out).scaleb(-6)
                       * (2 if speed == "fast" else 1)).normalize()
            entries.append({"client_id": name, "threads": threads, "turns": threads * between(u, 1, 12),
                            "credits": credits, "uncached_text_input_tokens": uncached,
                            "cached_text_input_tokens": cached, "text_output_tokens": output,
                            "text_total_tokens": uncached + cached + output})
            models[(model, speed)] = models.get((model, speed), Decimal(0)) + credits
        usage: dict[str, Any] = {
            "totals": {"threads": sum(e["threads"] for e in entries), "turns": sum(e["turns"] for e in entries),
                       "credits": sum((e["credits"] for e in entries), Decimal(0)).normalize()},
            "clients": entries,
            "models": [{"model": model, "credits": credits.normalize(), "speed": speed}
                       for (model, speed), credits in sorted(models.items())],
        }
        if u() < 0.85:
            added = round(profile.intensity * between(u, 0, 1_200))
            usage["code_attribution"] = {"lines_added": added, "lines_removed": round(added * 0.5 * u())}
        return usage


def _identity(row: dict[str, Any]) -> dict[str, Any]:
    names = ("object", "start_time", "end_time", "user_id", "email", "actor")
    return {name: row[name] for name in names if name in row}


def scaled(row: dict[str, Any], factor: Decimal) -> dict[str, Any]:
    """Every count × factor rounded half-even, every credit amount × factor to a millionth of a credit."""
    def count(value: int) -> int:
        return int((value * factor).to_integral_value(ROUND_HALF_EVEN))

    def credits(value: Decimal) -> Decimal:
        return (value * factor).quantize(MICRO, ROUND_HALF_EVEN).normalize()

    clients = [{**client, **{name: count(client[name]) for name in COUNT_FIELDS if name in client},
                "credits": credits(client["credits"])} for client in row["clients"]]
    new = {**row, "clients": clients,
           "models": [{**model, "credits": credits(model["credits"])} for model in row.get("models", [])]}
    new["totals"] = {"threads": sum(c["threads"] for c in clients), "turns": sum(c["turns"] for c in clients),
                     "credits": sum((c["credits"] for c in clients), Decimal(0)).normalize()}
    if "code_attribution" in row:
        new["code_attribution"] = {name: count(value) for name, value in row["code_attribution"].items()}
    return new
