"""GET /api/v1/ai-tooling/usage: daily usage records, newest first, as JSON pages or a CSV stream.

Only records of people whose usage the token's user may see (`orgonaut.org.visibility`): everything
for owners and admins; otherwise the visible people's records and no unmatched ones, and `actor_id` of
a person they may not see is 404, as another tenant's id."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.api import usage
from orgonaut.api.deps import CurrentTenant, CurrentToken, SessionDep, require_ai_tooling
from orgonaut.api.errors import ApiError, bad_param, error_responses
from orgonaut.api.params import MAX_ID, FromQuery, ProviderQuery, ScenarioQuery, ToQuery, resolve_scenario
from orgonaut.api.schemas import USD, UsagePage, UsageRecordOut, reported_cents
from orgonaut.db import get_engine
from orgonaut.org import visibility

MAX_LIMIT = 500
CSV_COLUMNS = (
    "id", "usage_date", "provider", "actor_id", "source_email", "scenario_id", "sessions_count", "lines_added",
    "lines_removed", "commits_count", "pull_requests_count", "total_input_tokens", "total_output_tokens",
    "total_cache_read_tokens", "total_cache_creation_tokens", "cost_cents", "cost_cents_exact", "currency",
)
# A cell starting with one of these is a formula to a spreadsheet (CSV injection); e-mails come from a vendor.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

router = APIRouter(
    prefix="/ai-tooling/usage", tags=["AI Tooling usage"], dependencies=[Depends(require_ai_tooling)],
    responses=error_responses(401, 403, 404, 422),
)


def record_out(record: AiToolUsageRecord) -> UsageRecordOut:
    cost_cents, cost_cents_exact = reported_cents(record.total_cost_cents)
    return UsageRecordOut(
        id=record.id, usage_date=record.usage_date, provider=record.provider, actor_id=record.actor_id,
        source_email=record.source_email, scenario_id=record.scenario_id, sessions_count=record.sessions_count,
        lines_added=record.lines_added, lines_removed=record.lines_removed, commits_count=record.commits_count,
        pull_requests_count=record.pull_requests_count, total_input_tokens=record.total_input_tokens,
        total_output_tokens=record.total_output_tokens, total_cache_read_tokens=record.total_cache_read_tokens,
        total_cache_creation_tokens=record.total_cache_creation_tokens,
        cost_cents=cost_cents, cost_cents_exact=cost_cents_exact,
        currency=USD, tool_actions=record.tool_actions or {}, model_breakdown=record.model_breakdown or [],
        updated_at=record.updated_at,
    )


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_rows(filters: usage.UsageFilters, token_id: int) -> Iterator[str]:
    try:
        yield from _csv_text(filters)
    finally:
        usage.release_export_slot(token_id)


def _csv_text(filters: usage.UsageFilters) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    # Sessions of its own, one per batch: the stream outlives the request's dependencies.
    for record in usage.iter_usage(filters=filters, open_session=lambda: Session(get_engine())):
        out = record_out(record)
        writer.writerow([_cell(getattr(out, column)) for column in CSV_COLUMNS])
        if buffer.tell() > 64 * 1024:
            yield flush()
    yield flush()


def _next_link(request: Request, cursor: str) -> str:
    """RFC 8288 `Link` to the next page: this request's address with the next cursor, relative to the API's
    host (a proxy in front may rename the host, never the path)."""
    query = [(key, value) for key, value in request.query_params.multi_items() if key != "cursor"]
    return f'<{request.url.path}?{urlencode([*query, ("cursor", cursor)])}>; rel="next"'


@router.get(
    "",
    response_model=UsagePage,
    summary="List daily usage records",
    description=f"Daily records of the scope (Live by default), newest first (by usage date, then id), in "
    f"pages of `limit` records (default 50, at most {MAX_LIMIT}). Follow `next_cursor` (or the `Link` header's "
    "`rel=\"next\"` address) until it is null: pages are keyset pages, so records stored meanwhile never "
    "shift them. `format=csv` streams every matching record as CSV (limit and cursor do not apply).",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                     "description": "A page of records (JSON), or every matching record (CSV).",
                     "headers": {"Link": {"description": 'The next page, as `<address>; rel="next"` '
                                          "(RFC 8288); absent on the last page and for CSV.",
                                          "schema": {"type": "string"}}}}},
)
def list_usage_records(
    request: Request,
    response: Response,
    session: SessionDep,
    tenant: CurrentTenant,
    token: CurrentToken,
    actor_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this person's records.")] = None,
    provider: ProviderQuery = None,
    start: FromQuery = None,
    end: ToQuery = None,
    unmatched: Annotated[
        bool | None, Query(description="true: only records whose e-mail matched no actor; false: only matched.")
    ] = None,
    scenario: ScenarioQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Records per page, at most {MAX_LIMIT}.")] = 50,
    cursor: Annotated[
        str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,100}$", description="next_cursor of the previous page.")
    ] = None,
    format: Annotated[Literal["json", "csv"], Query(description="json (paged) or csv (streamed).")] = "json",
):
    if start is not None and end is not None and start > end:
        raise bad_param("from", f"from: {start} is after to ({end}).")
    after = None
    if cursor is not None:
        try:
            after = usage.decode_cursor(cursor)
        except ValueError:
            raise bad_param("cursor", "cursor: not a cursor from this API; pass next_cursor as it came.") from None
    scenario_id = resolve_scenario(session=session, tenant=tenant, scenario=scenario)
    viewer = visibility.viewer_for(session=session, user=token.user, scenario_id=scenario_id)
    if actor_id is not None:
        visibility.get_visible_actor_or_raise(session=session, user=token.user, scenario_id=scenario_id,
                                              actor_id=actor_id, viewer=viewer)
    filters = usage.UsageFilters(
        tenant_id=tenant.id, scenario_id=scenario_id, actor_id=actor_id, visible_actor_ids=viewer.visible_actor_ids(),
        provider=provider.value if provider is not None else None, start=start, end=end, unmatched=unmatched,
    )
    if format == "csv":
        if not usage.take_export_slot(token.token_id):
            raise ApiError(429, "too_many_exports", f"This token already runs {usage.EXPORTS_PER_TOKEN} CSV exports; "
                           "try again when one has finished.", headers={"Retry-After": "30"})
        return StreamingResponse(
            _csv_rows(filters, token.token_id), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="ai-tooling-usage.csv"'},
        )
    rows, next_cursor = usage.list_usage(session=session, filters=filters, limit=limit, after=after)
    encoded = usage.encode_cursor(next_cursor) if next_cursor is not None else None
    if encoded is not None:
        response.headers["Link"] = _next_link(request, encoded)
    return UsagePage(data=[record_out(row) for row in rows], next_cursor=encoded)
