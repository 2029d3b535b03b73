"""Deterministic Claude Code usage for a roster of e-mails, cheap enough for 1,000 people × 365 days.

Every number for a person-day comes from a hash of (seed, e-mail, date), so the same request always
gets the same answer and adding someone to the roster changes nobody else's data. The shape follows
the documented record exactly; the numbers have a weekday rhythm (little at weekends), a few heavy
users, person-days split across two rows (another terminal or customer type), zero-cost days,
fractional-cent amounts, e-mails the org does not know and an API-key actor.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
import json
import struct
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal

FIRST_NAMES = (
    "ada", "alan", "amara", "ben", "carla", "chen", "dario", "dina", "elif", "emil", "fatima", "felix",
    "grace", "hiro", "ines", "ivan", "jade", "jonas", "kai", "lena", "leo", "maya", "mateo", "nadia",
    "nils", "olga", "omar", "priya", "quinn", "rosa", "sami", "sofia", "tariq", "tess", "uma", "victor",
    "wen", "xena", "yusuf", "zoe",
)
LAST_NAMES = (
    "lovelace", "turing", "okafor", "ng", "mendes", "wei", "rossi", "haddad", "yilmaz", "berg", "khan",
    "wagner", "hopper", "tanaka", "garcia", "petrov", "wilson", "schmidt", "kahale", "fischer", "martin",
    "patel", "lopez", "ali", "larsen", "ivanova", "farouk", "sharma", "byrne", "silva", "nasser", "costa",
    "aziz", "novak", "rao", "hugo", "zhang", "kowalski", "demir", "brooks",
)
ROSTER_DOMAIN = "demo.test"
# E-mails the demo org does not know: they land in the unmatched list. One is mixed case on purpose.
DEFAULT_UNKNOWN_EMAILS = ("contractor.jo@partner-agency.example", "Freelance.Dev@Contractors.Example")
DEFAULT_API_KEY_NAMES = ("ci-pipeline",)

TERMINALS = ("vscode", "iTerm.app", "jetbrains", "tmux", "Apple_Terminal")
TOOLS = ("edit_tool", "multi_edit_tool", "write_tool", "notebook_edit_tool")
# Model -> cents per million tokens (input, output, cache read, cache creation).
PRICES = {
    "claude-sonnet-4-20250514": (300, 1500, 30, 375),
    "claude-opus-4-1-20250805": (1500, 7500, 150, 1875),
    "claude-3-5-haiku-20241022": (80, 400, 8, 100),
}
MODELS = tuple(PRICES)
DAY_CACHE_SIZE = 32


def synthetic_roster(size: int) -> list[str]:
    """`size` distinct `first.last@demo.test` addresses, always in the same order."""
    roster = []
    n = len(FIRST_NAMES)
    for i in range(size):
        first = FIRST_NAMES[i % n]
        last = LAST_NAMES[(i + i // n) % n]  # a distinct (first, last) pair for the first n*n indices
        suffix = str(i // (n * n)) if i >= n * n else ""
        roster.append(f"{first}.{last}{suffix}@{ROSTER_DOMAIN}")
    return roster


DEFAULT_ROSTER = tuple(synthetic_roster(40))


def cursor_roster(claude_code: Sequence[str], cursor_only: Sequence[str], *, seed: int = 0) -> list[str]:
    """The e-mails of a roster's Cursor users, so that one demo has people on each tool and on both:
    everyone in `cursor_only`, and the people of the Claude Code roster a hash of (seed, e-mail)
    picks (about half); the others use Claude Code only."""
    both = [email for email in claude_code if hash64(f"{seed}|tools|{email.lower()}") % 2 == 0]
    return list(dict.fromkeys([*both, *cursor_only]))


_WORDS = struct.Struct(">32H")


def uniforms(key: str) -> Iterator[float]:
    """Numbers in [0, 1) from a keyed hash: far cheaper than seeding a `random.Random` per person-day."""
    for round_ in itertools.count():
        digest = hashlib.blake2b(f"{key}#{round_}".encode(), digest_size=64).digest()
        for word in _WORDS.unpack(digest):
            yield word / 65536


def between(u: Callable[[], float], low: int, high: int) -> int:
    return low + int(u() * (high - low + 1))


def pick(u: Callable[[], float], options: Sequence[str]) -> str:
    return options[int(u() * len(options))]


@dataclasses.dataclass(frozen=True, slots=True)
class _Profile:
    intensity: float
    weekday_rate: float
    weekend_rate: float
    terminal: str
    other_terminal: str
    customer_type: str
    subscription_type: str | None
    model: str


@dataclasses.dataclass(slots=True)
class _Actor:
    name: str  # the e-mail or key name, as the hash key
    json: str  # the record's `actor` object, encoded once
    profile: _Profile
    key: int  # 64 bits from the hash of (seed, name)
    # Day shapes, made on first use: each is the day's rows as (text before the date, text after it).
    weekday: list[list[tuple[str, str]]] | None = None
    weekend: list[list[tuple[str, str]]] | None = None


def mix64(value: int) -> int:
    """splitmix64's finaliser: a cheap, well-spread 64-bit hash of an integer."""
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


_MASK64 = 2**64 - 1
_GOLDEN = 0x9E3779B97F4A7C15


def hash64(text: str) -> int:
    """64 bits from a hash of the text: the same in every process."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def day_draw(key: int, day: dt.date) -> int:
    """64 well-spread bits for (someone's key, a day): whether they work that day, and how."""
    return mix64(key ^ ((day.toordinal() * _GOLDEN) & _MASK64))


def works(draw: int, day: dt.date, weekday_rate: float, weekend_rate: float) -> bool:
    """Whether a day's draw (day_draw) is a working day at these rates (a little at weekends)."""
    return (draw & 0xFFFF) / 65536 < (weekend_rate if day.weekday() >= 5 else weekday_rate)
WEEKDAY_SHAPES = 24
WEEKEND_SHAPES = 8
_DATE_MARK = "\x00"


class UsageGenerator:
    """The records of one day, generated on first use and kept for the most recent days.

    Each person has a few dozen day shapes (made once from seeded draws: some split across two rows,
    some zero-cost, some with fractional cents); a hash of (person, date) says whether they worked that
    day and which shape it was. So a day of 1,000 people costs a few milliseconds, which the
    365-day bench needs. Rows are written straight to JSON text, which also lets cost amounts be
    exact decimal numbers (json cannot write a Decimal).
    """

    def __init__(self, *, seed: int, roster: Sequence[str], unknown_emails: Sequence[str] = DEFAULT_UNKNOWN_EMAILS,
                 api_key_names: Sequence[str] = DEFAULT_API_KEY_NAMES, every_day: bool = False,
                 date_style: str = "rfc3339"):
        if date_style not in ("rfc3339", "date"):
            raise ValueError("date_style must be rfc3339 or date")
        self.seed = seed
        self.every_day = every_day
        self.date_style = date_style
        self.organization_id = str(uuid.UUID(bytes=hashlib.blake2b(b"org|%d" % seed, digest_size=16).digest()))
        self._actors = [
            *(self._user(email) for email in dict.fromkeys([*roster, *unknown_emails])),
            *(self._api_key(name) for name in dict.fromkeys(api_key_names)),
        ]
        self._days: OrderedDict[dt.date, list[str]] = OrderedDict()
        self._by_actor_json = {actor.json: actor for actor in self._actors}

    def _user(self, email: str) -> _Actor:
        actor = json.dumps({"type": "user_actor", "email_address": email}, separators=(",", ":"))
        return _Actor(email, actor, self._profile(f"user|{email}"), self._key(f"user|{email}"))

    def _api_key(self, name: str) -> _Actor:
        profile = dataclasses.replace(self._profile(f"key|{name}"), weekday_rate=0.95, weekend_rate=0.3,
                                      customer_type="api", subscription_type=None, terminal="sdk-cli")
        actor = json.dumps({"type": "api_actor", "api_key_name": name}, separators=(",", ":"))
        return _Actor(name, actor, profile, self._key(f"key|{name}"))

    def _key(self, who: str) -> int:
        return hash64(f"{self.seed}|day|{who}")

    def _profile(self, who: str) -> _Profile:
        u = uniforms(f"{self.seed}|profile|{who}").__next__
        heavy = u() < 0.1  # a few heavy users
        terminal = pick(u, TERMINALS)
        subscription = u() < 0.7
        return _Profile(
            intensity=(3 + 2 * u()) if heavy else (0.5 + u()),
            weekday_rate=0.6 + 0.35 * u(),
            weekend_rate=0.03 + 0.12 * u(),
            terminal=terminal,
            other_terminal=pick(u, [t for t in TERMINALS if t != terminal]),
            customer_type="subscription" if subscription else "api",
            subscription_type=pick(u, ("enterprise", "team")) if subscription else None,
            model=MODELS[0] if u() < 0.7 else pick(u, MODELS),
        )

    def records(self, day: dt.date) -> list[str]:
        """The day's records, each already encoded as JSON, in a stable order."""
        cached = self._days.get(day)
        if cached is not None:
            self._days.move_to_end(day)
            return cached
        date = f"{day.isoformat()}T00:00:00Z" if self.date_style == "rfc3339" else day.isoformat()
        weekend = day.weekday() >= 5
        rows = []
        for actor in self._actors:
            draw = day_draw(actor.key, day)
            if not self.every_day and not works(draw, day, actor.profile.weekday_rate, actor.profile.weekend_rate):
                continue
            shapes = self._shapes(actor, weekend)
            for before, after in shapes[(draw >> 16) % len(shapes)]:
                rows.append(f"{before}{date}{after}")
        self._days[day] = rows
        if len(self._days) > DAY_CACHE_SIZE:
            self._days.popitem(last=False)
        return rows

    def grown_record(self, day: dt.date, neighbour: str, n: int) -> str:
        """The n-th record that joins `day` after it was first served (the simulator's `grow`
        fault): a new row for the actor of `neighbour` (one of the day's records), on a terminal
        none of that actor's generated rows use, with numbers drawn from (seed, actor, day, n)."""
        actor = next((a for json_text, a in self._by_actor_json.items() if f'"actor":{json_text}' in neighbour),
                     None)
        if actor is None:
            raise ValueError("the neighbour is not one of this generator's records")
        profile = actor.profile
        terminal = next(t for t in TERMINALS if t not in (profile.terminal, profile.other_terminal))
        u = uniforms(f"{self.seed}|{actor.name}|{day.isoformat()}|grow{n}").__next__
        text = _row(actor, self.organization_id, u, 0.3, terminal, profile.customer_type, False, u() < 0.5)
        date = f"{day.isoformat()}T00:00:00Z" if self.date_style == "rfc3339" else day.isoformat()
        return text.replace(_DATE_MARK, date)

    def _shapes(self, actor: _Actor, weekend: bool) -> list[list[tuple[str, str]]]:
        if actor.weekday is None or actor.weekend is None:
            actor.weekday = [self._shape(actor, f"weekday{k}", 1.0) for k in range(WEEKDAY_SHAPES)]
            actor.weekend = [self._shape(actor, f"weekend{k}", 0.4) for k in range(WEEKEND_SHAPES)]
        return actor.weekend if weekend else actor.weekday

    def _shape(self, actor: _Actor, name: str, scale: float) -> list[tuple[str, str]]:
        profile = actor.profile
        u = uniforms(f"{self.seed}|{actor.name}|{name}").__next__
        zero_cost = u() < 0.04
        fractional = u() < 0.1

        def row(share: float, terminal: str, customer_type: str) -> str:
            return _row(actor, self.organization_id, u, share, terminal, customer_type, zero_cost, fractional)

        if u() >= 0.12:
            rows = [row(scale, profile.terminal, profile.customer_type)]
        else:
            # One person-day in two rows: another terminal, or usage billed to the API as well.
            share = 0.6 + 0.2 * u()
            if u() < 0.5:
                second = (profile.other_terminal, profile.customer_type)
            else:
                second = (profile.terminal, "api" if profile.customer_type == "subscription" else "subscription")
            rows = [
                row(scale * share, profile.terminal, profile.customer_type),
                row(scale * (1 - share), *second),
            ]
        return [tuple(row.split(_DATE_MARK)) for row in rows]  # type: ignore[misc]


def _row(actor: _Actor, organization_id: str, u: Callable[[], float], share: float, terminal: str,
         customer_type: str, zero_cost: bool, fractional: bool) -> str:
    """One record as JSON text, with `_DATE_MARK` where the date goes."""
    profile = actor.profile
    scale = profile.intensity * share
    added = round(scale * between(u, 20, 600))
    removed = round(added * 0.6 * u())
    commits = round(scale * between(u, 0, 5))
    pull_requests = min(commits, between(u, 0, 2))
    sessions = max(1, round(scale * between(u, 1, 8)))
    tools = []
    for tool, weight in zip(TOOLS, (1.0, 0.5, 0.4, 0.05), strict=True):
        accepted = round(scale * weight * between(u, 0, 40))
        tools.append(f'"{tool}":{{"accepted":{accepted},"rejected":{round(accepted * 0.25 * u())}}}')
    models = dict.fromkeys([profile.model] + ([pick(u, MODELS)] if u() < 0.3 else []))
    breakdown = ",".join(_model_usage(model, u, scale, zero_cost, fractional) for model in models)
    subscription = (f'"{profile.subscription_type}"' if customer_type == "subscription"
                    and profile.subscription_type else "null")
    return (
        f'{{"date":"{_DATE_MARK}","actor":{actor.json},"organization_id":"{organization_id}",'
        f'"customer_type":"{customer_type}","subscription_type":{subscription},"terminal_type":"{terminal}",'
        f'"core_metrics":{{"num_sessions":{sessions},"lines_of_code":{{"added":{added},"removed":{removed}}},'
        f'"commits_by_claude_code":{commits},"pull_requests_by_claude_code":{pull_requests}}},'
        f'"tool_actions":{{{",".join(tools)}}},"model_breakdown":[{breakdown}]}}'
    )


def _model_usage(model: str, u: Callable[[], float], scale: float, zero_cost: bool, fractional: bool) -> str:
    tokens_in = round(scale * between(u, 5_000, 120_000))
    tokens_out = round(tokens_in * (0.15 + 0.2 * u()))
    cache_read = round(tokens_in * (0.5 + 2.5 * u()))
    cache_creation = round(tokens_in * (0.02 + 0.08 * u()))
    if zero_cost:
        amount = Decimal(0)
    else:
        price_in, price_out, price_read, price_create = PRICES[model]
        # Thousandths of a cent, in integers; the amount keeps them only on fractional days.
        millicents = (tokens_in * price_in + tokens_out * price_out + cache_read * price_read
                      + cache_creation * price_create) // 1000
        amount = Decimal(millicents).scaleb(-3) if fractional else Decimal(millicents // 1000)
    return (
        f'{{"model":"{model}","tokens":{{"input":{tokens_in},"output":{tokens_out},"cache_read":{cache_read},'
        f'"cache_creation":{cache_creation}}},"estimated_cost":{{"currency":"USD","amount":{amount}}}}}'
    )
