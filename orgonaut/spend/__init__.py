"""Spend management: budgets with forecasts and their alerts (more of issue 18 to come here)."""
