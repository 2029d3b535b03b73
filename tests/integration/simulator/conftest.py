"""The simulators' fixtures (see tests/support/simulator.py and tests/support/cursor_simulator.py)."""

from tests.support.cursor_simulator import clean_cursor_simulator, cursor_simulator  # noqa: F401
from tests.support.simulator import clean_simulator, simulate_started, simulator  # noqa: F401
