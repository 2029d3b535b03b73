"""The overview page's adoption, model mix and output per cost, driven through its state on the demo org with half
a year of usage: for every range the tables are the domain's numbers and the REST API's answers (an admin's token),
a manager's are his units' (and he gets no model mix), every CSV holds its table, and a range switch runs no query.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlmodel import Session, select
from starlette.testclient import TestClient

from orgonaut.api.app import create_app
from orgonaut.db import get_engine
from orgonaut.org import visibility
from orgonaut.org.models import Actor, OrgUnit
from orgonaut.rollups import adoption, model_mix, output_per_cost, periods
from orgonaut.rollups.periods import Range
from orgonaut.tenancy.models import Ability, User
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages import overview_text as text
from orgonaut.ui.pages.overview_details import NO_MODEL_MIX
from tests.integration.api.conftest import bearer, new_token
from tests.integration.ui.test_ai_usage_states import NOW, _frozen, usage_demo  # noqa: F401
from tests.integration.ui.test_spend_overview_state import MANAGER, _open, people  # noqa: F401


def _plain(value: str) -> str:
    return value.replace("$", "").replace(",", "")


def _viewer(session: Session, email: str):
    user = session.exec(select(User).where(User.email == email)).one()
    return user, visibility.viewer_for(session=session, user=user, scenario_id=None)


@pytest.fixture
def api(session, people):  # noqa: F811 - the imported fixture
    admin = session.exec(select(User).where(User.email == "admin@demo.test")).one()
    secret = new_token(session, admin, abilities=(Ability.ai_tooling_manage.value,))
    session.commit()
    with TestClient(create_app()) as client:
        yield lambda path: client.get(f"/api/v1/ai-tooling/overview/{path}", headers=bearer(secret)).json()


def test_every_range_is_the_domains_and_the_apis_and_switching_runs_no_query(session, people, api):  # noqa: F811
    state, _ = _open(session, "admin@demo.test")
    _user, viewer = _viewer(session, "admin@demo.test")
    today = NOW.date()
    first = state._first_usage
    assert first is not None and state.model_note == ""
    statements = []
    listener = lambda *args: statements.append(args)  # noqa: E731
    event.listen(get_engine(), "before_cursor_execute", listener)
    try:
        views = {}
        for choice in Range:
            state.choose_range(choice.value)
            views[choice] = (state.active_table, state.active_figure, state.model_table, state.model_figure,
                             state.output_table, state.range_text)
    finally:
        event.remove(get_engine(), "before_cursor_execute", listener)
    assert statements == []

    for choice, (active_table, active_figure, model_table, model_figure, output_table, range_text) in views.items():
        period = periods.period_for(choice, today=today, first_usage=first)
        active = adoption.active_users_for(session=session, viewer=viewer, tenant_id=people.id, scenario_id=None,
                                           today=today, period=period)
        costs = model_mix.model_costs_for(session=session, viewer=viewer, tenant_id=people.id, scenario_id=None,
                                          today=today, period=period)
        rates = output_per_cost.output_days_for(session=session, viewer=viewer, tenant_id=people.id,
                                                scenario_id=None, today=today, period=period)
        assert active is not None and costs is not None and rates is not None
        assert active_table == text.active_rows(active), choice
        assert any(p.users for p in active.days) and active_figure["data"][0]["y"] == [p.users for p in active.days]
        mix = costs.within(period)
        assert model_table == text.model_rows(mix) and model_table[-1].cost == format_usd(mix.total_cents)
        assert model_figure["data"][0]["y"] == [r.label for r in reversed(mix.rows)]
        assert output_table == text.output_rows(rates.within(period)), choice

        # The API answers the same numbers for the same range.
        body = api(f"active-users?range={choice.value}")
        assert [(p["start"], p["active_users"]) for p in body["days"]] == [
            (p.start.isoformat(), p.users) for p in active.days]
        assert [p["active_users"] for p in body["months"]] == [p.users for p in active.months]
        body = api(f"model-mix?range={choice.value}")
        assert [(r["label"], r["cost_cents"]) for r in body["rows"]] == [
            (r.label, int(r.cost_cents.quantize(Decimal(1), rounding="ROUND_HALF_UP"))) for r in mix.rows]
        assert [format_usd(Decimal(r["cost_cents_exact"])) for r in body["rows"]] == [
            row.cost for row in model_table[:-1]]
        body = api(f"output-per-cost?range={choice.value}")
        assert [(r["label"], text.per_dollar_text(None if r["per_dollar"] is None else Decimal(r["per_dollar"])),
                 f"{r['amount']:,}") for r in body["rates"]] == [
            (row.metric, row.per_dollar, row.amount) for row in output_table]
        assert range_text.endswith(str(today.year))

    cohorts = api("cohorts")["months"]
    assert [(c["active"], c["new"], c["retained"], c["reactivated"], c["lapsed"]) for c in cohorts] == [
        (int(r.active), int(r.new), int(r.retained), int(r.reactivated), int(r.lapsed)) for r in state.cohort_table]
    assert any(c["new"] for c in cohorts) and state.cohort_figure["data"]


def test_each_csv_is_its_table(session, people):  # noqa: F811
    state, _ = _open(session, "admin@demo.test")
    state.choose_range("last_month")

    assert state.download_active_users() is not None
    rows = list(csv.DictReader(io.StringIO(text.active_csv(state._active_in_range))))
    assert [(r["grain"].capitalize(), f"{int(r['active_users']):,}") for r in rows] == [
        (v.grain, v.users) for v in state.active_table]

    assert state.download_cohorts() is not None
    rows = list(csv.DictReader(io.StringIO(text.cohorts_csv(state._cohorts))))
    assert [[f"{int(r[k]):,}" for k in ("active", "new", "retained", "reactivated", "lapsed")] for r in rows] == [
        [v.active, v.new, v.retained, v.reactivated, v.lapsed] for v in state.cohort_table]

    assert state.download_models() is not None
    rows = list(csv.DictReader(io.StringIO(text.model_csv(state._mix))))
    shown = state.model_table[:-1]  # less the totals row
    assert [r["cost_usd"] for r in rows] == [_plain(v.cost) for v in shown]
    assert sum(Decimal(r["cost_usd"]) for r in rows) - Decimal(_plain(state.model_table[-1].cost)) <= Decimal(
        "0.01") * len(rows)
    assert [r["model"] for r in rows] == [v.model.split(" (")[0] for v in shown]

    assert state.download_output() is not None
    rows = list(csv.DictReader(io.StringIO(text.output_csv(state._rates))))
    assert [(r["amount"], r["cost_usd"]) for r in rows] == [(_plain(v.amount), _plain(v.cost)) for v in
                                                            state.output_table]

    for download in (state.download_months, state.download_providers):
        assert download() is not None
    rows = list(csv.DictReader(io.StringIO(text.providers_csv(state._result))))
    assert [_plain(p.mtd) for p in state.providers] == [r["month_to_date_usd"] for r in rows]
    rows = list(csv.DictReader(io.StringIO(text.months_csv(state._result.months))))
    assert len(rows) == 12 and rows[-1]["month"] == NOW.date().replace(day=1).isoformat()


def test_a_manager_sees_his_units_adoption_and_output_and_no_model_mix(session, people):  # noqa: F811
    state, _ = _open(session, MANAGER)
    assert state.model_note == NO_MODEL_MIX and state.model_table == []
    _user, viewer = _viewer(session, MANAGER)
    assert viewer.scope_unit_ids
    today = NOW.date()
    state.choose_range("3m")
    period = periods.period_for("3m", today=today)
    active = adoption.active_users_for(session=session, viewer=viewer, tenant_id=people.id, scenario_id=None,
                                       today=today, period=period)
    assert active is not None and state.active_table == text.active_rows(active)
    # Nobody outside his units: his people are the ones placed in them.
    placed = set(session.exec(select(Actor.id).where(Actor.tenant_id == people.id, Actor.scenario_id.is_(None))))
    assert max(p.users for p in active.months) <= len(viewer.scope_actor_ids | set()) <= len(placed)
    everyone = adoption.active_users_for(session=session, viewer=visibility.UsageViewer(
        reach=visibility.UsageReach.everyone), tenant_id=people.id, scenario_id=None, today=today, period=period)
    assert everyone is not None and sum(p.users for p in everyone.months) > sum(p.users for p in active.months)
    assert session.exec(select(OrgUnit.id).where(OrgUnit.id.in_(viewer.scope_unit_ids))).all()
    assert [r.source for r in state.output_table][0].startswith("from Claude Code")
