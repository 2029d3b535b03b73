"""GET /api/v1/ai-tooling/usage: newest first, filters, keyset pages, money in whole cents, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from sqlmodel import func, select

from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.api.models import ApiToken
from orgonaut.org import service as org
from tests.integration.api.conftest import bearer, usage_row

URL = "/api/v1/ai-tooling/usage"


def _all(session, tenant_id: int, scenario_id=None):
    return session.exec(
        select(AiToolUsageRecord).where(AiToolUsageRecord.tenant_id == tenant_id,
                                        AiToolUsageRecord.scenario_id == scenario_id)
    ).all()


def _walk(client, secret: str, query: str) -> tuple[list[dict], int]:
    rows, pages, cursor = [], 0, None
    while True:
        url = f"{URL}?{query}" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=bearer(secret)).json()
        rows.extend(body["data"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return rows, pages


def test_default_page_is_fifty_newest_first(client, session, acme):
    tenant, _org = acme
    body = client.get(URL, headers=bearer(tenant.admin_secret)).json()
    assert len(body["data"]) == 50
    keys = [(row["usage_date"], row["id"]) for row in body["data"]]
    assert keys == sorted(keys, reverse=True)
    newest = max((r.usage_date, r.id) for r in _all(session, tenant.tenant.id))
    assert keys[0] == (newest[0].isoformat(), newest[1])
    assert body["next_cursor"]


def test_pages_walk_every_record_once_in_order(client, session, acme):
    tenant, _org = acme
    rows, pages = _walk(client, tenant.admin_secret, "limit=7")
    records = _all(session, tenant.tenant.id)
    assert len(rows) == len(records) > 100
    assert pages == -(-len(records) // 7)
    assert [(r["usage_date"], r["id"]) for r in rows] == sorted(
        ((r.usage_date.isoformat(), r.id) for r in records), reverse=True)


def test_the_link_header_names_the_next_page_with_the_same_filters(client, session, acme):
    tenant, _org = acme
    records = _all(session, tenant.tenant.id)
    url, seen, pages = f"{URL}?limit=40&scenario=live", [], 0
    while url:
        response = client.get(url, headers=bearer(tenant.admin_secret))
        body = response.json()
        seen.extend(row["id"] for row in body["data"])
        pages += 1
        link = response.headers.get("link")
        if body["next_cursor"] is None:
            assert link is None  # the last page has no next
            break
        # <path?query>; rel="next": the same filters, the body's cursor.
        assert link == f'<{URL}?limit=40&scenario=live&cursor={body["next_cursor"]}>; rel="next"'
        url = link[1:link.index(">")]
    assert pages == -(-len(records) // 40) and sorted(seen) == sorted(r.id for r in records)


def test_a_page_does_not_move_when_older_days_arrive(client, session, acme):
    tenant, org_ = acme
    first = client.get(f"{URL}?limit=5", headers=bearer(tenant.admin_secret)).json()
    alice = org.get_actor_or_raise(session=session, tenant_id=tenant.tenant.id, actor_id=org_.alice)
    session.add(AiToolUsageRecord(**usage_row(tenant_id=tenant.tenant.id, scenario_id=None, email="late@acme.test",
                                              actor_id=None, day=dt.date(2026, 9, 1))))
    session.add(AiToolUsageRecord(**usage_row(tenant_id=tenant.tenant.id, scenario_id=None, email=alice.email,
                                              actor_id=alice.id, day=dt.date(2026, 9, 2), provider="cursor")))
    session.commit()
    second = client.get(f"{URL}?limit=5&cursor={first['next_cursor']}", headers=bearer(tenant.admin_secret)).json()
    assert second["data"][0]["usage_date"] <= first["data"][-1]["usage_date"]
    assert not {r["id"] for r in first["data"]} & {r["id"] for r in second["data"]}


def test_filters(client, session, acme):
    tenant, org_ = acme
    records = _all(session, tenant.tenant.id)
    secret = tenant.admin_secret

    rows, _ = _walk(client, secret, f"actor_id={org_.alice}&limit=500")
    assert sorted(r["id"] for r in rows) == sorted(r.id for r in records if r.actor_id == org_.alice)

    rows, _ = _walk(client, secret, "unmatched=true&limit=500")
    assert rows and {r["source_email"] for r in rows} == {"stranger@acme.test"}
    assert {r["actor_id"] for r in rows} == {None}
    rows, _ = _walk(client, secret, "unmatched=false&limit=500")
    assert len(rows) == sum(1 for r in records if r.actor_id is not None)

    rows, _ = _walk(client, secret, "from=2026-10-01&to=2026-10-31&limit=500")
    assert sorted(r["id"] for r in rows) == sorted(
        r.id for r in records if dt.date(2026, 10, 1) <= r.usage_date <= dt.date(2026, 10, 31))
    rows, _ = _walk(client, secret, "from=2026-11-18&limit=500")
    assert rows and {r["usage_date"] for r in rows} == {"2026-11-18"}

    rows, _ = _walk(client, secret, "provider=claude_code&limit=500")
    assert len(rows) == len(records)
    assert _walk(client, secret, "provider=cursor")[0] == []


def test_scenario_scope_lists_that_scopes_records_only(client, session, acme):
    tenant, _org = acme
    plan = org.create_scenario(session=session, tenant_id=tenant.tenant.id, name="Plan")
    session.add(AiToolUsageRecord(**usage_row(tenant_id=tenant.tenant.id, scenario_id=plan.id,
                                              email="alice@acme.test", actor_id=None, day=dt.date(2026, 11, 2))))
    session.commit()
    body = client.get(f"{URL}?scenario={plan.id}", headers=bearer(tenant.admin_secret)).json()
    assert [(r["scenario_id"], r["usage_date"]) for r in body["data"]] == [(plan.id, "2026-11-02")]
    live = client.get(f"{URL}?scenario=live&limit=500", headers=bearer(tenant.admin_secret)).json()
    assert {r["scenario_id"] for r in live["data"]} == {None}


@pytest.mark.parametrize(
    ("exact", "cents", "text"),
    [("12.5", 13, "12.500000"), ("12.499999", 12, "12.499999"), ("0.5", 1, "0.500000"), ("0", 0, "0.000000"),
     ("1234567.000001", 1234567, "1234567.000001")],
)
def test_money_is_whole_cents_half_up_with_the_exact_amount(client, session, acme, exact, cents, text):
    tenant, _org = acme
    row = usage_row(tenant_id=tenant.tenant.id, scenario_id=None, email="money@acme.test", actor_id=None,
                    day=dt.date(2026, 11, 18))
    row["total_cost_cents"] = Decimal(exact)
    session.add(AiToolUsageRecord(**row))
    session.commit()
    body = client.get(f"{URL}?unmatched=true&from=2026-11-18", headers=bearer(tenant.admin_secret)).json()
    (record,) = [r for r in body["data"] if r["source_email"] == "money@acme.test"]
    assert (record["cost_cents"], record["cost_cents_exact"], record["currency"]) == (cents, text, "USD")


def test_csv_streams_every_matching_record_with_the_same_filters(client, session, acme):
    tenant, org_ = acme
    response = client.get(f"{URL}?format=csv&actor_id={org_.bob}&limit=1", headers=bearer(tenant.admin_secret))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    json_rows, _ = _walk(client, tenant.admin_secret, f"actor_id={org_.bob}&limit=500")
    assert len(rows) == len(json_rows) > 1  # limit does not apply to the export
    for csv_row, json_row in zip(rows, json_rows, strict=True):
        assert csv_row["id"] == str(json_row["id"])
        assert csv_row["usage_date"] == json_row["usage_date"]
        assert csv_row["cost_cents"] == str(json_row["cost_cents"])
        assert csv_row["cost_cents_exact"] == json_row["cost_cents_exact"]
        assert csv_row["source_email"] == json_row["source_email"] == "bob@acme.test"


def test_csv_defuses_spreadsheet_formulas_from_vendor_data(client, session, acme):
    tenant, _org = acme
    session.add(AiToolUsageRecord(**usage_row(tenant_id=tenant.tenant.id, scenario_id=None,
                                              email="=HYPERLINK(\"http://evil\")@x.test", actor_id=None,
                                              day=dt.date(2026, 11, 18))))
    session.commit()
    response = client.get(f"{URL}?format=csv&unmatched=true&from=2026-11-18", headers=bearer(tenant.admin_secret))
    emails = {row["source_email"] for row in csv.DictReader(io.StringIO(response.text))}
    assert "'=HYPERLINK(\"http://evil\")@x.test" in emails
    assert not any(email.startswith("=") for email in emails)


def test_csv_of_nothing_is_just_the_header(client, acme):
    tenant, _org = acme
    response = client.get(f"{URL}?format=csv&provider=cursor", headers=bearer(tenant.admin_secret))
    assert response.text.strip().split(",")[:3] == ["id", "usage_date", "provider"]
    assert len(response.text.strip().splitlines()) == 1


def test_the_export_reads_in_batches_and_loses_nothing(session, acme):
    from sqlmodel import Session

    from orgonaut.api import usage
    from orgonaut.db import get_engine

    tenant, _org = acme
    filters = usage.UsageFilters(tenant_id=tenant.tenant.id, scenario_id=None)
    exported = [(r.usage_date, r.id) for r in usage.iter_usage(
        filters=filters, open_session=lambda: Session(get_engine()), batch=7)]
    assert len(exported) == len(set(exported)) == len(_all(session, tenant.tenant.id))
    assert exported == sorted(exported, reverse=True)


def test_each_export_batch_reads_in_a_short_session_of_its_own(session, acme):
    from sqlmodel import Session as ModelSession

    from orgonaut.api import usage as api_usage
    from orgonaut.db import get_engine

    tenant, org_ = acme
    opened: list[ModelSession] = []

    def open_session() -> ModelSession:
        opened.append(ModelSession(get_engine()))
        return opened[-1]

    filters = api_usage.UsageFilters(tenant_id=tenant.tenant.id, scenario_id=None)
    expected = session.exec(select(func.count()).select_from(AiToolUsageRecord).where(
        AiToolUsageRecord.tenant_id == tenant.tenant.id, AiToolUsageRecord.scope_key == 0)).one()
    seen = 0
    for _record in api_usage.iter_usage(filters=filters, open_session=open_session, batch=3):
        seen += 1
        assert not any(s.in_transaction() for s in opened)  # no connection held while rows go out
    assert seen == expected > 6
    assert len(opened) == -(-expected // 3)  # one per batch


def test_a_token_runs_at_most_two_exports_at_once(client, session, acme):
    from orgonaut.api import usage as api_usage

    tenant, _org = acme
    token_id = session.exec(select(ApiToken.id).where(ApiToken.tenant_id == tenant.tenant.id)).first()
    assert api_usage.take_export_slot(token_id) and api_usage.take_export_slot(token_id)  # two running
    try:
        refused = client.get(f"{URL}?format=csv", headers=bearer(tenant.admin_secret))
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_exports"
        assert refused.headers["retry-after"] == "30"
    finally:
        api_usage.release_export_slot(token_id)
    answered = client.get(f"{URL}?format=csv", headers=bearer(tenant.admin_secret))  # one has finished
    assert answered.status_code == 200 and answered.text.startswith("id,")
    api_usage.release_export_slot(token_id)
    # Finished exports give their slots back: two can start again.
    assert api_usage.take_export_slot(token_id) and api_usage.take_export_slot(token_id)
    assert not api_usage.take_export_slot(token_id)
    api_usage.release_export_slot(token_id)
    api_usage.release_export_slot(token_id)
