"""The simulators' fixtures (see tests/support/simulator.py, cursor_simulator.py and claude_enterprise_simulator.py)."""

from tests.support.claude_enterprise_simulator import (  # noqa: F401
    claude_enterprise_simulator,
    clean_claude_enterprise_simulator,
)
from tests.support.cursor_simulator import clean_cursor_simulator, cursor_simulator  # noqa: F401
from tests.support.simulator import clean_simulator, simulate_started, simulator  # noqa: F401
