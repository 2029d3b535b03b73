"""Deterministic Cursor team data: members, each person-day's activity row and usage events.

Every number comes from a hash of (seed, e-mail, date), like the Claude Code generator (data.py,
whose helpers and rhythm it shares): adding someone changes nobody else's data. A person-day is
active when they used Cursor: then their usage events (1 to about 40) and their activity row agree
(`subscriptionIncludedReqs`, `usageBasedReqs` and `apiKeyReqs` count the day's events of each
`kind`); an inactive day has a row of zeros and no events. Records are dicts; money is Decimal.

Events, newest first: `timestamp` is epoch ms as a string; about one in ten is not token based (no
`tokenUsage`); a token-based event's `tokenUsage.totalCents` has fractions of a cent; third-party
models (not Cursor's own `auto` and `composer-1`) add a `cursorTokenFee`; `chargedCents` is
totalCents + cursorTokenFee, and is left out of about one token-based event in seven (the older
shape, where a client falls back to that sum). Service accounts have events (with
`serviceAccountId` and `serviceAccountName`) and no activity rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from orgonaut.simulator.data import between, day_draw, hash64, pick, uniforms, works
from orgonaut.simulator.revisions import Revision

# Model -> cents per million tokens (input, output, cache write, cache read), and whether Cursor adds
# its token fee (third-party models).
MODELS: dict[str, tuple[tuple[int, int, int, int], bool]] = {
    "claude-4.5-sonnet": ((300, 1500, 375, 30), True),
    "gpt-5": ((125, 1000, 0, 13), True),
    "claude-4.1-opus": ((1500, 7500, 1875, 150), True),
    "auto": ((125, 600, 0, 25), False),
    "composer-1": ((125, 1000, 0, 13), False),
}
TOKEN_FEE_PER_MILLION = Decimal(25)  # cents of Cursor's token rate per million tokens of a third-party model
KINDS = ("Included in Business", "Usage-based", "User API Key")  # the third is not in the docs' examples
EXTENSIONS = ("ts", "py", "tsx", "go", "rs", "java", "md")
CLIENT_VERSIONS = ("1.7.44", "2.0.34", "2.1.20")
ROLES = ("member", "member", "member", "owner", "free-owner")
MICROCENT = Decimal("0.000001")
DAY_MS = 86_400_000
DAY_CACHE_SIZE = 32
COUNT_FIELDS = (
    "totalLinesAdded", "totalLinesDeleted", "acceptedLinesAdded", "acceptedLinesDeleted", "totalApplies",
    "totalAccepts", "totalRejects", "totalTabsShown", "totalTabsAccepted", "composerRequests", "chatRequests",
    "agentRequests", "cmdkUsages", "subscriptionIncludedReqs", "apiKeyReqs", "usageBasedReqs", "bugbotUsages",
)
TOKEN_FIELDS = ("inputTokens", "outputTokens", "cacheWriteTokens", "cacheReadTokens")


def epoch_ms(day: dt.date) -> int:
    """The day's first millisecond (UTC) since the epoch."""
    return (day - dt.date(1970, 1, 1)).days * DAY_MS


@dataclasses.dataclass(frozen=True, slots=True)
class Member:
    email: str
    name: str
    role: str
    id: str  # the `user_…` id of /teams/members
    user_id: int  # the number daily-usage rows carry as `userId`
    joined: dt.date | None = None  # None: long before any day asked for
    removed: dt.date | None = None  # from this day on `isRemoved`, and no usage

    def on_team(self, day: dt.date) -> bool:
        return (self.joined is None or self.joined <= day) and (self.removed is None or day < self.removed)


@dataclasses.dataclass(frozen=True, slots=True)
class ServiceAccount:
    name: str
    email: str
    id: str


def make_members(emails: Sequence[str], *, seed: int = 0, joined: Mapping[str, dt.date] | None = None,
                 removed: Mapping[str, dt.date] | None = None) -> list[Member]:
    """A member per e-mail (the first is the owner), with ids, names and roles from hashes."""
    members = []
    for index, email in enumerate(dict.fromkeys(emails)):
        key = hash64(f"{seed}|member|{email.lower()}")
        local = email.split("@")[0]
        name = " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part)
        role = "owner" if index == 0 else ROLES[key % len(ROLES)]
        members.append(Member(email, name, role, f"user_{uuid.UUID(int=key << 64 | key).hex[:26]}",
                              100_000 + key % 900_000, (joined or {}).get(email), (removed or {}).get(email)))
    return members


def make_service_accounts(names: Sequence[str], domain: str, *, seed: int = 0) -> list[ServiceAccount]:
    return [ServiceAccount(name, f"{name}@{domain}", f"sa_{hash64(f'{seed}|sa|{name}'):016x}")
            for name in dict.fromkeys(names)]


@dataclasses.dataclass(frozen=True, slots=True)
class _Profile:
    key: int
    intensity: float
    weekday_rate: float
    weekend_rate: float
    model: str
    extension: str
    client_version: str


class CursorUsage:
    """Each day's activity rows (`rows`) and usage events (`records`, the events' DaySource), made on
    first use and kept for the most recent days."""

    def __init__(self, *, seed: int, members: Sequence[Member], service_accounts: Sequence[ServiceAccount] = (),
                 every_day: bool = False):
        self.seed = seed
        self.members = list(members)
        self.service_accounts = list(service_accounts)
        self.every_day = every_day
        self._profiles = {who: self._profile(who) for who in
                          [*(m.email for m in self.members), *(s.name for s in self.service_accounts)]}
        self._days: OrderedDict[dt.date, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = OrderedDict()
        self.activity = _Activity(self)

    def _profile(self, who: str) -> _Profile:
        u = uniforms(f"{self.seed}|cursor|{who.lower()}").__next__
        heavy = u() < 0.1
        return _Profile(hash64(f"{self.seed}|cursor-day|{who.lower()}"), (3 + 2 * u()) if heavy else 0.5 + u(),
                        0.6 + 0.35 * u(), 0.03 + 0.12 * u(), pick(u, tuple(MODELS)), pick(u, EXTENSIONS),
                        pick(u, CLIENT_VERSIONS))

    # -- the DaySource of events (records.py) ---------------------------------------------------------

    def records(self, day: dt.date) -> list[dict[str, Any]]:
        """The day's usage events, newest first."""
        return self._day(day)[1]

    def rows(self, day: dt.date) -> list[dict[str, Any]]:
        """The day's activity rows, one per member on the team that day (inactive ones too), by e-mail."""
        return self._day(day)[0]

    def grown_record(self, day: dt.date, neighbour: dict[str, Any], n: int) -> dict[str, Any]:
        """The n-th event that joins `day` after it was first served (a grow fault): the neighbour's
        user and timestamp (so the day stays newest first), new numbers from (seed, user, day, n)."""
        who = neighbour.get("serviceAccountName") or neighbour["userEmail"]
        u = uniforms(f"{self.seed}|{who}|{day.isoformat()}|grow{n}").__next__
        event = self._event(u, int(neighbour["timestamp"]), self._profiles[who].model)
        return {"timestamp": neighbour["timestamp"], **_identity(neighbour), **event}

    @staticmethod
    def touches(revision: Revision, record: dict[str, Any]) -> bool:
        email = record.get("email", record.get("userEmail"))
        return "serviceAccountId" not in record and str(email).lower() == revision.email.lower()

    @classmethod
    def revise(cls, revision: Revision, record: dict[str, Any]) -> dict[str, Any] | None:
        """The record (a row or an event) after the revision (None: dropped); others' unchanged."""
        if not cls.touches(revision, record):
            return record
        if revision.action == "drop":
            return None
        if revision.action == "move":
            return {**record, ("email" if "email" in record else "userEmail"): revision.to_email}
        return _scaled(record, revision.factor or Decimal(1))

    # -- generation -----------------------------------------------------------------------------------

    def _day(self, day: dt.date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        cached = self._days.get(day)
        if cached is not None:
            self._days.move_to_end(day)
            return cached
        rows, events = [], []
        for member in sorted(self.members, key=lambda m: m.email.lower()):
            if not member.on_team(day):
                continue
            mine = self._events(member.email, day)
            rows.append(self._row(member, day, mine))
            events += mine
        for account in self.service_accounts:
            events += self._events(account.name, day, account)
        events.sort(key=lambda event: -int(event["timestamp"]))
        self._days[day] = rows, events
        if len(self._days) > DAY_CACHE_SIZE:
            self._days.popitem(last=False)
        return rows, events

    def _events(self, who: str, day: dt.date, account: ServiceAccount | None = None) -> list[dict[str, Any]]:
        profile = self._profiles[who]
        draw = day_draw(profile.key, day)
        if not self.every_day and not works(draw, day, profile.weekday_rate, profile.weekend_rate):
            return []
        u = uniforms(f"{self.seed}|{who.lower()}|{day.isoformat()}").__next__
        count = max(1, round(profile.intensity * between(u, 1, 12)))
        identity = ({"userEmail": account.email, "serviceAccountId": account.id, "serviceAccountName": account.name}
                    if account else {"userEmail": who})
        start = epoch_ms(day)
        events = []
        for _ in range(count):
            timestamp = start + between(u, 6 * 3_600_000, DAY_MS - 1)
            model = profile.model if u() < 0.7 else pick(u, tuple(MODELS))
            events.append({"timestamp": str(timestamp), **identity, **self._event(u, timestamp, model)})
        return events

    @staticmethod
    def _event(u: Callable[[], float], timestamp: int, model: str) -> dict[str, Any]:
        (price_in, price_out, price_write, price_read), third_party = MODELS[model]
        draw = u()
        kind = KINDS[0] if draw < 0.6 else KINDS[1] if draw < 0.95 else KINDS[2]
        event: dict[str, Any] = {"model": model, "kind": kind, "maxMode": u() < 0.1,
                                 "requestsCosts": pick(u, ("1", "1", "0.5", "2")), "isTokenBasedCall": u() >= 0.1,
                                 "isChargeable": kind == KINDS[1], "isHeadless": u() < 0.05}
        event["requestsCosts"] = Decimal(event["requestsCosts"])
        if not event["isTokenBasedCall"]:
            event["chargedCents"] = Decimal(4) * event["requestsCosts"] if kind != KINDS[2] else Decimal(0)
            return event
        tokens = {"inputTokens": between(u, 500, 60_000), "outputTokens": between(u, 100, 8_000),
                  "cacheWriteTokens": between(u, 0, 20_000) if price_write else 0,
                  "cacheReadTokens": between(u, 0, 200_000)}
        micro = (tokens["inputTokens"] * price_in + tokens["outputTokens"] * price_out
                 + tokens["cacheWriteTokens"] * price_write + tokens["cacheReadTokens"] * price_read)
        total = Decimal(micro).scaleb(-6)  # cents per million tokens × tokens: exact millionths of a cent
        event["tokenUsage"] = {**tokens, "totalCents": total}
        fee = Decimal(0)
        if third_party:
            fee = (sum(tokens.values()) * TOKEN_FEE_PER_MILLION).scaleb(-6)
            event["cursorTokenFee"] = fee
        if kind == KINDS[2]:
            event["chargedCents"] = Decimal(0)  # the user's own API key: Cursor charges nothing
        elif u() >= 0.15:
            event["chargedCents"] = total + fee
        return event

    def _row(self, member: Member, day: dt.date, events: list[dict[str, Any]]) -> dict[str, Any]:
        row: dict[str, Any] = {"userId": member.user_id, "day": day.isoformat(), "date": epoch_ms(day),
                               "email": member.email, "isActive": bool(events)}
        counts = dict.fromkeys(COUNT_FIELDS, 0)
        if events:
            profile = self._profiles[member.email]
            u = uniforms(f"{self.seed}|{member.email.lower()}|{day.isoformat()}|row").__next__
            scale = profile.intensity
            added = round(scale * between(u, 20, 900))
            accepted = round(added * (0.3 + 0.5 * u()))
            kinds = [event["kind"] for event in events]
            agent = sum(1 for _ in kinds if u() < 0.6)
            chat = round((len(kinds) - agent) * u())
            tabs = round(scale * between(u, 0, 400))
            counts.update(
                totalLinesAdded=added, totalLinesDeleted=round(added * 0.4 * u()), acceptedLinesAdded=accepted,
                acceptedLinesDeleted=round(accepted * 0.3 * u()), totalApplies=between(u, 0, 30),
                totalAccepts=between(u, 0, 25), totalRejects=between(u, 0, 8), totalTabsShown=tabs,
                totalTabsAccepted=round(tabs * 0.35 * u()), agentRequests=agent, chatRequests=chat,
                composerRequests=len(kinds) - agent - chat, cmdkUsages=between(u, 0, 10),
                subscriptionIncludedReqs=kinds.count(KINDS[0]), usageBasedReqs=kinds.count(KINDS[1]),
                apiKeyReqs=kinds.count(KINDS[2]), bugbotUsages=between(u, 0, 2) if u() < 0.2 else 0,
            )
        row.update(counts)
        row["mostUsedModel"] = self._profiles[member.email].model if events else None
        row["applyMostUsedExtension"] = self._profiles[member.email].extension if events else None
        row["tabMostUsedExtension"] = self._profiles[member.email].extension if events else None
        row["clientVersion"] = self._profiles[member.email].client_version if events else None
        return row


class _Activity:
    """The activity rows as a DaySource (records.py): rows are revised, never grown."""

    def __init__(self, usage: CursorUsage):
        self.records = usage.rows
        self.touches = usage.touches
        self.revise = usage.revise

    def grown_record(self, day: dt.date, neighbour: Any, n: int) -> Any:
        raise ValueError("activity rows are not grown")


def event_cost(event: dict[str, Any]) -> Decimal:
    """What an event costs: `chargedCents`, or when it is absent `tokenUsage.totalCents` plus
    `cursorTokenFee` (the older docs' sum)."""
    if "chargedCents" in event:
        return Decimal(event["chargedCents"])
    return Decimal(event.get("tokenUsage", {}).get("totalCents", 0)) + Decimal(event.get("cursorTokenFee", 0))


def _identity(event: dict[str, Any]) -> dict[str, Any]:
    return {name: event[name] for name in ("userEmail", "serviceAccountId", "serviceAccountName") if name in event}


def _scaled(record: dict[str, Any], factor: Decimal) -> dict[str, Any]:
    """Every count × factor rounded half-even, every cent amount × factor to a millionth of a cent."""
    scaled = dict(record)
    for name in COUNT_FIELDS:
        if name in scaled:
            scaled[name] = _count(scaled[name], factor)
    for name in ("chargedCents", "cursorTokenFee"):
        if name in scaled:
            scaled[name] = _cents(scaled[name], factor)
    if "tokenUsage" in scaled:
        usage = dict(scaled["tokenUsage"])
        for name in TOKEN_FIELDS:
            usage[name] = _count(usage[name], factor)
        usage["totalCents"] = _cents(usage["totalCents"], factor)
        scaled["tokenUsage"] = usage
    return scaled


def _count(value: int, factor: Decimal) -> int:
    return int((value * factor).to_integral_value(ROUND_HALF_EVEN))


def _cents(value: Decimal, factor: Decimal) -> Decimal:
    return (value * factor).quantize(MICROCENT, ROUND_HALF_EVEN).normalize()
