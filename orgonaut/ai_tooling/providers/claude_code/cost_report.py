"""The Admin API's organisation cost report (`GET /v1/organizations/cost_report`), decoded strictly: daily
buckets whose results carry `amount` in cents as a decimal string ("123.45" is $1.23), with a `description`
that names the product (Claude Code's lines say "Claude Code"). Used to reconcile the per-person report with
what the organisation is billed (`spend.reconciliation`)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from orgonaut.ai_tooling.providers.base import OrganisationCost
from orgonaut.ai_tooling.providers.claude_code.records import TOO_DEEP, describe_decode_error
from orgonaut.ai_tooling.providers.money import sum_cost_cents

CLAUDE_CODE = "claude code"
_AMOUNT = re.compile(r"-?\d{1,15}(\.\d{1,12})?")


class CostResult(Struct, frozen=True):
    amount: Annotated[str, Meta(max_length=40)]
    currency: Annotated[str, Meta(max_length=8)] = "USD"
    description: Annotated[str, Meta(max_length=500)] | None = None
    cost_type: Annotated[str, Meta(max_length=60)] | None = None
    model: Annotated[str, Meta(max_length=200)] | None = None


class CostBucket(Struct, frozen=True):
    starting_at: Annotated[str, Meta(max_length=40)]
    ending_at: Annotated[str, Meta(max_length=40)]
    results: Annotated[list[CostResult], Meta(max_length=10_000)]


class CostPage(Struct, frozen=True):
    data: Annotated[list[CostBucket], Meta(max_length=31)]
    has_more: bool = False
    next_page: Annotated[str, Meta(max_length=2000)] | None = None


_PAGE = msgspec.json.Decoder(CostPage)


def parse_cost_page(body: bytes) -> CostPage:
    try:
        page = _PAGE.decode(body)
    except msgspec.MsgspecError as error:
        raise ValueError(describe_decode_error(error)) from None
    except RecursionError:
        raise ValueError(TOO_DEEP) from None
    for b, bucket in enumerate(page.data):
        for r, result in enumerate(bucket.results):
            if result.currency.upper() != "USD":
                raise ValueError(f"data[{b}].results[{r}].currency: {result.currency[:8]!r} is not USD")
            if not _AMOUNT.fullmatch(result.amount):
                raise ValueError(f"data[{b}].results[{r}].amount: {result.amount[:40]!r} is not a decimal amount")
    return page


def organisation_cost(pages: list[CostPage], start: dt.date, end: dt.date) -> OrganisationCost:
    """The pages' lines (the days from `start` to `end`) summed per description, exactly; Claude Code's lines
    are the tool's."""
    lines: dict[str, list[Decimal]] = {}
    for page in pages:
        for bucket in page.data:
            for result in bucket.results:
                try:
                    amount = Decimal(result.amount)
                except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
                    continue
                lines.setdefault((result.description or "Other").strip() or "Other", []).append(amount)
    summed = {name: sum_cost_cents(amounts) for name, amounts in lines.items()}
    tool = sum_cost_cents(amount for name, amount in summed.items() if name.lower() == CLAUDE_CODE)
    return OrganisationCost(total_cents=sum_cost_cents(summed.values()), tool_cents=tool,
                            lines=tuple(sorted(summed.items())), start=start, end=end)
