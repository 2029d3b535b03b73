"""Org change events, defined in one place, delivered after the commit that made the change.

Services call `emit(session, event)`; subscribers run once the session's transaction commits (never
for a rolled-back change). Subscribers must not raise into the caller: errors are logged.
"""
