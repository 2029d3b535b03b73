"""Keeps a Celery worker alive when Redis restarts while it holds unacknowledged messages (review R3).

Imported once by `workers/celery_app.py`, so every worker, beat and producer process has it.

The failure, with celery 5.7.0 / kombu 5.7.0 / redis-py 7.4.1 (reproduced by `tests/failover`):

1. Redis goes away while the worker holds an unacked message: a running task (we ack late) or a
   countdown/ETA task waiting in the worker. The consumer's event loop raises ConnectionError.
2. `Consumer.on_connection_error_after_connected` calls `connection.collect()`. Closing the default
   channel there fails on the dead socket (`_brpop_read`), and kombu swallows that, so the channel
   stays open, holding the unacked messages; `collect()` then detaches the transport
   (`transport.client = None`).
3. New in celery 5.7.0 (celery#10242, GH-9705), it then calls `connection.close()`. That closes the
   still-open channel: it drops the channel's Redis pools and restores the unacked messages
   (`virtual.Channel.close` -> `QoS.restore_unacked_once`). The restore needs a new pool, and
   `Channel._connparams` reads `self.connection.client.hostname`, which is now None:
   `AttributeError: 'NoneType' object has no attribute 'hostname'`.
4. `ignore_errors` lets only connection and channel errors through, so the AttributeError reaches
   the worker: "Unrecoverable error", and the worker exits. An idle worker has nothing to restore and
   survives. A late ack through the same channel, when the running task finishes, would fail the same
   way.

No release fixes it (celery 5.7.0 and kombu 5.7.0 are the newest on PyPI). celery 5.6.3 does not
crash, because it never calls `close()` there, but it lacks the 5.7.0 reconnect fixes (celery#10151
"worker fails to reconnect after redis failover", #10204, #10218, #10345, #10383). So we stay on 5.7.0
and patch kombu.

The patch: a Redis channel remembers the kombu Connection it was opened with, and when its transport
has been detached it builds its connection parameters from that Connection. The restore (or a late
ack) then talks to the same Redis URL as before. If Redis is still down, that raises redis-py's
ConnectionError, which kombu's close path already ignores (`Connection.maybe_close_channel`) and
`Message.ack_log_error` logs. A message whose restore failed stays in Redis's unacked set (if Redis
kept it) and is redelivered after the visibility timeout, as with any worker crash. Nothing changes
while the transport is attached. Sentinel channels are not covered (we do not use Sentinel).

Remove this module when `ORGONAUT_KOMBU_PATCH=0 pytest tests/failover` passes on a new release.
"""

from __future__ import annotations

import functools
import logging

from kombu.transport import redis as kombu_redis

from orgonaut.settings import get_settings

logger = logging.getLogger(__name__)

_REMEMBERED = "_orgonaut_conninfo"


def _remember_connection(connparams):
    @functools.wraps(connparams)
    def _connparams(self, *args, **kwargs):
        transport = self.connection
        if transport.client is not None:
            # The channel's first call comes from its own __init__ (ping), with the transport attached.
            setattr(self, _REMEMBERED, transport.client)
            return connparams(self, *args, **kwargs)
        remembered = self.__dict__.get(_REMEMBERED)
        if remembered is None:
            return connparams(self, *args, **kwargs)  # never attached: kombu's own error
        # Detached by Connection.collect(): lend the transport its old client for this one call.
        # The worker's consumer runs in one thread, and _connparams calls nothing that reads it back.
        transport.client = remembered
        try:
            return connparams(self, *args, **kwargs)
        finally:
            transport.client = None

    _connparams._orgonaut_patched = True
    return _connparams


def install() -> bool:
    """Applies the patch once; returns whether it is in place."""
    channel = kombu_redis.Channel
    if getattr(channel._connparams, "_orgonaut_patched", False):
        return True
    if not get_settings().kombu_patch:
        logger.warning("ORGONAUT_KOMBU_PATCH is off: a Redis restart can stop workers that hold messages")
        return False
    channel._connparams = _remember_connection(channel._connparams)  # type: ignore[method-assign]
    return True


install()
