"""The settings page's Common issues table: Copilot's two 403s each have a row whose fix is the one the
client's own error message gives, so the table and the error agree."""

from __future__ import annotations

from orgonaut.ai_tooling.providers.copilot.client import MISSING_PERMISSION_MESSAGE, POLICY_OFF_MESSAGE
from orgonaut.ui.pages.ai_tooling.help import COMMON_ISSUES, COPILOT_ISSUES, CURSOR_ISSUES


def test_copilots_two_403s_are_told_apart_with_the_errors_own_fix():
    rows = {symptom: (cause, fix) for symptom, cause, fix in COPILOT_ISSUES}
    policy = next(v for k, v in rows.items() if "policy is off" in k)
    permission = next(v for k, v in rows.items() if "may not read" in k)
    assert "Settings → Copilot → Policies" in policy[1] and "Settings → Copilot → Policies" in POLICY_OFF_MESSAGE
    assert "View Organization Copilot Metrics" in permission[1]
    assert "View Organization Copilot Metrics" in MISSING_PERMISSION_MESSAGE


def test_every_row_has_a_symptom_a_cause_and_a_fix_and_symptoms_are_unique():
    rows = [*COMMON_ISSUES, *CURSOR_ISSUES, *COPILOT_ISSUES]
    assert all(len(row) == 3 and all(part.strip() for part in row) for row in rows)
    assert len({symptom for symptom, _, _ in rows}) == len(rows)
