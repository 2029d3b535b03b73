"""The Admin API key never appears in clear: not in any table, sync log, log line, exception text, repr,
CLI output, worker log or Redis, after connecting and running syncs that succeed and fail."""

from __future__ import annotations

import json
import logging
import secrets as stdlib_secrets

import redis
import sqlalchemy as sa
from sqlmodel import select
from typer.testing import CliRunner

from orgonaut.ai_tooling import service
from orgonaut.ai_tooling.providers import registry
from orgonaut.cli import app
from orgonaut.db import get_engine
from orgonaut.errors import DomainError
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import Integration
from orgonaut.models import metadata
from orgonaut.settings import get_settings
from tests.integration.ai_tooling.conftest import WEEK
from tests.integration.ai_tooling.test_jobs import wait_finished


def _table_texts() -> list[str]:
    texts = []
    with get_engine().connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                texts.extend(json.dumps(v, default=str) if isinstance(v, dict | list) else str(v) for v in row)
    return texts


def _redis_values(client: redis.Redis, key: bytes) -> list[bytes]:
    kind = client.type(key)
    if kind == b"string":
        return [client.get(key)]
    if kind == b"list":
        return client.lrange(key, 0, -1)
    if kind == b"set":
        return list(client.smembers(key))
    if kind == b"zset":
        return client.zrange(key, 0, -1)
    if kind == b"hash":
        return list(client.hgetall(key).values())
    return []


def _redis_texts() -> list[str]:
    settings = get_settings()
    texts = []
    for db in (settings.redis_celery_db, settings.redis_locks_db):
        client = redis.Redis.from_url(settings.redis_db_url(db))
        for key in client.scan_iter():
            values = _redis_values(client, key)
            texts.extend([key.decode(errors="replace"), *(v.decode(errors="replace") for v in values if v)])
    return texts


def test_the_key_is_never_in_clear(session, tenant, clean_simulator, celery_worker_process, caplog):
    caplog.set_level(logging.DEBUG)
    canary = f"sk-ant-admin01-LEAKCANARY{stdlib_secrets.token_hex(8)}"
    outputs: list[str] = []
    errors: list[str] = []
    runner = CliRunner()

    def run(*args: str, key: str | None = None) -> None:
        result = runner.invoke(app, list(args), input=f"{key}\n" if key else None)
        outputs.append(result.output)
        if result.exception and not isinstance(result.exception, SystemExit):
            errors.append(repr(result.exception) + str(result.exception))

    # A connect that fails (the same distinctive key, revoked), then one that succeeds.
    run("ai-tooling", "connect", "--tenant", tenant.slug, "--provider", "claude_code", "--key-stdin",
        "--api-base", clean_simulator.base_url, "--baseline", key=f"{canary}-revoked")
    run("ai-tooling", "connect", "--tenant", tenant.slug, "--provider", "claude_code", "--key-stdin",
        "--api-base", clean_simulator.base_url, "--baseline", key=canary)
    integration = session.exec(select(Integration)).one()
    ident = str(integration.id)

    # Syncs that succeed and fail, in the foreground and on the worker; tests that fail.
    run("ai-tooling", "sync", "--integration", ident, "--date", WEEK[0].isoformat())
    for fault in ({"status": 401}, {"status": 403}, {"status": 529, "count": 2},
                  {"mode": "malformed", "variant": "json"}, {"mode": "malformed", "variant": "record"}):
        clean_simulator.set_fault(**fault)
        run("ai-tooling", "sync", "--integration", ident, "--date", WEEK[1].isoformat())
        run("ai-tooling", "test", "--integration", ident)
    clean_simulator.clear_faults()
    run("ai-tooling", "status")
    clean_simulator.set_fault(status=401, after=1)
    log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                 start=WEEK[2], end=WEEK[4])
    session.commit()
    assert wait_finished(log.id).status == "failed"
    clean_simulator.clear_faults()

    # Service-level refusals and exceptions that carry the key's neighbourhood.
    for attempt in (
        lambda: service.test_credentials(provider="claude_code", credentials={"api_key": f"{canary}-revoked"},
                                 api_base=clean_simulator.base_url),
        lambda: service.test_credentials(provider="claude_code", credentials={"api_key": f"{canary} with a space"},
                                 api_base=clean_simulator.base_url),
        lambda: service.replace_credentials(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                    credentials={"api_key": f"{canary}-noperm"}),
        lambda: registry.create_provider("claude_code", credentials={"api_key": canary}, api_base="ftp://example.test"),
    ):
        try:
            attempt()
        except DomainError as error:
            errors.append(repr(error) + str(error))
    session.rollback()
    provider = registry.create_provider("claude_code", credentials={"api_key": canary},
                                        api_base=clean_simulator.base_url)
    stored = session.get(Integration, integration.id)
    reprs = [repr(provider), repr(stored), str(stored), repr(integrations.list_sync_logs(
        session=session, tenant_id=tenant.id, integration_id=integration.id))]
    worker_log = celery_worker_process.log_path.read_text(errors="replace")

    assert len(outputs) == 14 and len(errors) >= 4  # the scan saw real failures, not just successes
    assert any("Invalid or revoked" in text for text in outputs)
    places = {
        "database": _table_texts(), "redis": _redis_texts(), "cli": outputs, "exceptions": errors, "reprs": reprs,
        "logs": [caplog.text], "worker log": [worker_log],
        "simulator request log": [json.dumps(clean_simulator.requests(path=None))],
    }
    for place, texts in places.items():
        leaks = [text for text in texts if canary in text]
        assert leaks == [], f"the key leaked into the {place}"
    assert any(text.startswith("fernet:") for text in places["database"])  # the sealed value is there
