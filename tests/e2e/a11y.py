"""Every page of the demo, and the accessibility checks of the browser tests and the screenshot script:
axe-core (shipped inside the `axe-playwright-python` wheel, so it runs offline), the one-<h1> rule, and
"no wider than the viewport"."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlmodel import select

from orgonaut.db import session_scope
from orgonaut.org.models import Actor, OrgUnit
from orgonaut.tenancy.models import Tenant
from orgonaut.ui import routes

DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
# What fails a page: WCAG problems that stop or seriously hinder someone (axe's two upper impacts).
BLOCKING_IMPACTS = ("serious", "critical")
# Radix Themes' spinner: pages show one until their loader answered.
SPINNER = ".rt-Spinner"


def _tenant_id() -> int:
    with session_scope() as session:
        return session.exec(select(Tenant.id).where(Tenant.slug == "demo")).one()


def unit_id(name: str) -> int:
    with session_scope() as session:
        return session.exec(select(OrgUnit.id).where(OrgUnit.tenant_id == _tenant_id(), OrgUnit.scenario_id.is_(None),
                                                     OrgUnit.name == name)).one()


def actor_id(name: str) -> int:
    with session_scope() as session:
        return session.exec(select(Actor.id).where(Actor.tenant_id == _tenant_id(), Actor.scenario_id.is_(None),
                                                   Actor.name == name)).one()


def demo_pages() -> dict[str, str]:
    """Every page of a signed-in user, with real ids from the demo for the detail pages (the ids are
    looked up when the test runs, so this is a function of the seeded database)."""
    return {
        "people": routes.PEOPLE,
        "person": routes.person_url(actor_id("Ana Souza")),
        "teams": routes.TEAMS,
        "team": routes.team_url(unit_id("Checkout")),
        "departments": routes.DEPARTMENTS,
        "department": routes.department_url(unit_id("Engineering")),
        "ai spend": routes.AI_SPEND,
        "budgets": routes.AI_BUDGETS,
        "chargeback": routes.AI_CHARGEBACK,
        "idle seats": routes.AI_SEATS,
        "ai tooling settings": routes.AI_TOOLING_SETTINGS,
        "api tokens": routes.API_TOKENS_SETTINGS,
        "notifications": routes.NOTIFICATIONS,
        "notification settings": routes.NOTIFICATION_SETTINGS,
        "access denied": routes.ACCESS_DENIED,
        "not found": "/no-such-page",
    }


def wait_until_settled(page: Page, *, signed_in: bool = True) -> None:
    """The page has rendered its content: the shell is up and no spinner is left."""
    if signed_in:
        expect(page.get_by_role("button", name="User menu")).to_be_visible(timeout=20_000)
    page.wait_for_function(f"() => document.querySelectorAll('{SPINNER}').length === 0", timeout=20_000)
    # Charts and late state updates draw a moment after the spinner goes.
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def blocking_violations(page: Page) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def violations_report(violations: list[dict], nodes_per_violation: int = 5) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} [{violation['helpUrl']}]")
        for node in violation["nodes"][:nodes_per_violation]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    {target}: {' '.join(node['html'].split())[:200]}")
            if node.get("failureSummary"):
                lines.append("      " + " ".join(node["failureSummary"].split())[:300])
        if len(violation["nodes"]) > nodes_per_violation:
            lines.append(f"    … and {len(violation['nodes']) - nodes_per_violation} more")
    return "\n".join(lines)


def assert_no_serious_violations(page: Page, where: str) -> None:
    violations = blocking_violations(page)
    assert not violations, f"axe found serious or critical violations on {where}:\n{violations_report(violations)}"


def assert_one_h1(page: Page, where: str) -> None:
    h1s = page.locator("h1").all_inner_texts()
    assert len(h1s) == 1, f"{where} has {len(h1s)} <h1> elements, not one: {h1s}"


def assert_fits_the_viewport(page: Page, where: str) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], (
        f"{where} is {widths[0]} px wide in a {widths[1]} px viewport: the page scrolls sideways")
