"""Vendor API simulators for the demo and the tests (the Anthropic Admin API, on loopback)."""
