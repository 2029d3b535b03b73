"""The provider contract suite's fixtures: `info`, one available provider's declaration per test run
(every test that uses it, or `harness`, runs once per available provider), and `harness`, that
provider's simulator reset for the test (see harnesses.py)."""

from __future__ import annotations

import pytest

from tests.contract.harnesses import (  # noqa: F401
    AVAILABLE,
    HARNESSES,
    claude_code_contract_simulator,
    claude_enterprise_contract_simulator,
    codex_contract_simulator,
    copilot_contract_simulator,
    cursor_contract_simulator,
)


@pytest.fixture(params=AVAILABLE, ids=[info.key for info in AVAILABLE])
def info(request):
    return request.param


@pytest.fixture
def harness(info, request):
    factory = HARNESSES.get(info.key)
    if factory is None:
        pytest.fail(f"{info.display_name} ({info.key}) is available but has no contract harness: "
                    "add one to tests/contract/harnesses.py")
    contract = factory(request)
    contract.reset()
    yield contract
    contract.reset()
