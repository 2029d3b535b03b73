"""Start-up wiring: every domain's reactions to org and integration-health events, registered in one call.

Every process that changes org data or runs jobs calls `install()` once at start (web, worker, CLI,
tests). It is idempotent: the event bus ignores a handler it already holds, so calling it again, or
after a test cleared the subscribers, leaves exactly one registration per handler.
"""

from __future__ import annotations


def install() -> None:
    from orgonaut.ai_tooling import subscribers
    from orgonaut.notify import alerts
    from orgonaut.rollups import queue

    subscribers.register()  # actor created / e-mail changed -> re-match usage records
    queue.subscribe_to_org_events()  # placement changed / unit moved -> owed rollup refresh
    alerts.subscribe_to_health_events()  # integration health changed / still failing -> alerts
