"""Stored aggregate rollups of AI Tooling usage per org unit, and the jobs that keep them fresh."""
