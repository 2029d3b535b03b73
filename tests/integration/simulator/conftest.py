"""The Anthropic simulator fixtures (see tests/support/simulator.py)."""

from tests.support.simulator import clean_simulator, simulator  # noqa: F401
