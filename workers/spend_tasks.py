"""Spend checks: thin, the work is in `orgonaut.spend`.

- `check_spend(tenant_id)`: after a Live rollup refresh (spend moved), the tenant's budget thresholds
  (`budget_alerts.check`) and the anomalies of its recent days (`anomalies.detect`), each in its own
  transaction.
- `check_all_budgets` (beat, hourly): every tenant with a budget (a new month, a refresh job lost).
"""

from __future__ import annotations

from orgonaut.db import session_scope
from orgonaut.spend import anomalies, budget_alerts
from workers.celery_app import app


@app.task(name=budget_alerts.CHECK_TASK)
def check_spend(tenant_id: int) -> dict[str, int]:
    with session_scope() as session:
        alerts = len(budget_alerts.check(session=session, tenant_id=tenant_id))
    with session_scope() as session:
        found = len(anomalies.detect(session=session, tenant_id=tenant_id))
    return {"budget_alerts": alerts, "new_anomalies": found}


@app.task(name="orgonaut.spend.check_all_budgets")
def check_all_budgets() -> int:
    with session_scope() as session:
        tenant_ids = budget_alerts.tenants_with_budgets(session=session)
    sent = 0
    for tenant_id in tenant_ids:
        with session_scope() as session:
            sent += len(budget_alerts.check(session=session, tenant_id=tenant_id))
    return sent
