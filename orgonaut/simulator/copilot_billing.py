"""The GitHub simulator's billing answers: the Copilot seat list, a user's usage-based billing (AI credits,
premium requests before them) and the organisation's (or enterprise's) billing usage report, the bill.

  GET /orgs/{org}/copilot/billing/seats?page=&per_page=   {"total_seats", "seats"}, `Link` header
  GET /organizations/{org}/settings/billing/{ai_credit,premium_request}/usage?year=&month=&day=[&user=]
      {"timePeriod", "organization", ["user",] "usageItems": [{product, sku, model, unitType, pricePerUnit,
      grossQuantity, grossAmount, discountQuantity, discountAmount, netQuantity, netAmount}]} (dollars as
      JSON numbers); each endpoint serves only its own era (AI credits from 1 June 2026)
  GET /organizations/{org}/settings/billing/usage?[year=][&month=][&day=][&hour=]
      {"usageItems": [{date, product, sku, quantity, unitType, pricePerUnit, grossAmount, discountAmount,
      netAmount, organizationName, repositoryName}]}: the enhanced billing platform's report, a line per day
      and SKU (year defaults to this year; month and day narrow it; `hour` is refused: daily lines only)

The report's Copilot lines follow the per-user data exactly: a day's AI-credit (or premium-request) line is
the sum of the users' items of that day, and a day's seat line per plan (`copilot_for_business`,
`copilot_enterprise`, unit `user-months`) is the monthly list price × the seats held that day ÷ the month's
days, as dollars (a float: GitHub bills licences daily). A seat is held from its `created_at` to the day
before its `pending_cancellation_date`, as the seat list says today; an enterprise bills a user once, on the
Enterprise plan if any of their seats is. Days are billed once their report is out (`is_available`). Actions
minutes are on the same bill, as another product. GitHub's reference documents the report's fields, not its
SKUs: the seat SKUs are as third-party billing exports show them.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from orgonaut.simulator.copilot_data import AI_CREDITS_FROM
from orgonaut.simulator.data import between, uniforms
from orgonaut.simulator.faults import Fault

if TYPE_CHECKING:
    from orgonaut.simulator.copilot import GithubSimulator

SEAT_PRICES = {"business": Decimal(19), "enterprise": Decimal(39)}  # list prices, dollars a month
SEAT_SKUS = {"business": "copilot_for_business", "enterprise": "copilot_enterprise"}
ACTIONS_PRICE = Decimal("0.006")  # dollars a Linux minute


def seats_answer(sim: GithubSimulator, request: Request, fault: Fault | None) -> Response:
    """A page of the seat list (`per_page` at most 100), with a `Link` to the next."""
    try:
        page = int(request.query_params.get("page", "1"))
        per_page = int(request.query_params.get("per_page", "50"))
    except ValueError:
        return sim.error_response(422, "Invalid request.")
    per_page = max(1, min(per_page, 100))
    seats = sim.seats(enterprise=is_enterprise(request))
    chunk = seats[(page - 1) * per_page: page * per_page]
    # An enterprise counts a user with seats from several organisations once.
    total = len({seat["assignee"]["id"] for seat in seats})
    answer: dict[str, Any] = {"total_seats": total, "seats": chunk}
    if fault is not None and fault.mode == "malformed":
        answer = {"total_seats": total, "seats": "none"}
    headers = {}
    if page * per_page < len(seats):
        headers["link"] = f'<{request.url.include_query_params(page=page + 1)}>; rel="next"'
    return JSONResponse(answer, headers=headers)


def credits_answer(sim: GithubSimulator, request: Request, org: str, fault: Fault | None) -> Response:
    """One day's usage-based billing, of a user or of everyone, from the endpoint of its era."""
    query = request.query_params
    try:
        day = dt.date(int(query["year"]), int(query["month"]), int(query["day"]))
    except (KeyError, ValueError):
        return sim.error_response(400, "year, month and day must name a date")
    user = query.get("user")
    era = (day >= AI_CREDITS_FROM) == ("/ai_credit/" in request.url.path)  # each endpoint: its own era only
    credits = sim.credits(day) if era else {}
    items = credits.get(user, []) if user else [item for found in credits.values() for item in found]
    answer: dict[str, Any] = {"timePeriod": {"year": day.year, "month": day.month, "day": day.day},
                              ("enterprise" if is_enterprise(request) else "organization"): org,
                              "usageItems": items}
    if user:
        answer["user"] = user
    if fault is not None and fault.mode == "malformed":
        answer["usageItems"] = [{"netAmount": "a lot"}]
    return JSONResponse(answer)


def usage_answer(sim: GithubSimulator, request: Request, org: str, fault: Fault | None) -> Response:
    """The billing usage report of the days the query names (a year, a month or a day)."""
    query = request.query_params
    try:
        year = int(query.get("year", sim.config.now().year))
        month = int(query["month"]) if "month" in query else None
        day = int(query["day"]) if "day" in query else None
        hour = int(query["hour"]) if "hour" in query else None
        first = dt.date(year, month or 1, day or 1)
    except ValueError:
        return sim.error_response(400, "year, month, day and hour must be numbers that name a time")
    if hour is not None:
        return sim.error_response(400, "This simulator keeps daily lines only: leave out hour.")
    if day is not None and month is None:
        return sim.error_response(400, "day needs a month")
    last = first if day is not None else (
        first.replace(day=calendar.monthrange(year, month)[1]) if month is not None else dt.date(year, 12, 31))
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    items = [item for each in days if sim.is_available(each) for item in day_items(sim, each, request, org)]
    if fault is not None and fault.mode == "malformed":
        items = [{"date": "someday", "netAmount": "a lot"}] if fault.variant != "json" else items
        if fault.variant == "json":
            return Response(b'{"usageItems": [{"date": "20', media_type="application/json")
    return JSONResponse({"usageItems": items})


def day_items(sim: GithubSimulator, day: dt.date, request: Request, org: str) -> list[dict[str, Any]]:
    """A day's lines: seats per plan, the users' usage-based billing, Actions minutes."""
    lines = []
    held: dict[int, str] = {}
    for seat in sim.seats(enterprise=is_enterprise(request)):
        created = dt.date.fromisoformat(seat["created_at"][:10])
        ends = seat["pending_cancellation_date"]
        if created <= day and (ends is None or day < dt.date.fromisoformat(ends)):
            user_id = seat["assignee"]["id"]
            held[user_id] = "enterprise" if "enterprise" in (held.get(user_id), seat["plan_type"]) else "business"
    days = calendar.monthrange(day.year, day.month)[1]
    for plan in ("business", "enterprise"):
        count = sum(1 for held_plan in held.values() if held_plan == plan)
        if count:
            amount = SEAT_PRICES[plan] * count / days
            lines.append(_line(day, "Copilot", SEAT_SKUS[plan], "user-months", Decimal(count) / days,
                               SEAT_PRICES[plan], amount, Decimal(0), org))
    credit_items = [item for items in sim.credits(day).values() for item in items]
    if credit_items:
        def total(name: str) -> Decimal:
            return sum((Decimal(str(item[name])) for item in credit_items), Decimal(0))

        sku = "copilot_ai_credit" if day >= AI_CREDITS_FROM else "copilot_premium_request"
        lines.append(_line(day, "Copilot", sku, credit_items[0]["unitType"], total("grossQuantity"),
                           Decimal(str(credit_items[0]["pricePerUnit"])), total("grossAmount"),
                           total("discountAmount"), org, net=total("netAmount")))
    u = uniforms(f"github-actions|{sim.config.seed}|{day.isoformat()}").__next__
    minutes = Decimal(between(u, 0, 4_000))
    if minutes:
        included = minutes if u() < 0.3 else Decimal(0)  # some days within the included minutes
        lines.append(_line(day, "Actions", "actions_linux", "minutes", minutes, ACTIONS_PRICE,
                           minutes * ACTIONS_PRICE, included * ACTIONS_PRICE, org, repository=f"{org}/app"))
    return lines


def _line(day: dt.date, product: str, sku: str, unit: str, quantity: Decimal, price: Decimal, gross: Decimal,
          discount: Decimal, org: str, *, net: Decimal | None = None, repository: str | None = None,
          ) -> dict[str, Any]:
    return {"date": f"{day.isoformat()}T00:00:00Z", "product": product, "sku": sku, "quantity": float(quantity),
            "unitType": unit, "pricePerUnit": float(price), "grossAmount": float(gross),
            "discountAmount": float(discount), "netAmount": float(gross - discount if net is None else net),
            "organizationName": org, "repositoryName": repository}


def is_enterprise(request: Request) -> bool:
    return request.url.path.startswith("/enterprises/")
