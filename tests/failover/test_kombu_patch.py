"""`workers/kombu_patch.py` in isolation: a Redis channel whose transport was detached, as
`Connection.collect()` leaves it after a connection loss, can still put its unacked messages back."""

from __future__ import annotations

import kombu

import workers.kombu_patch  # noqa: F401  (installs the patch unless ORGONAUT_KOMBU_PATCH=0)


def test_a_detached_channel_restores_its_unacked_message(redis_server):
    queue = kombu.Queue("patch-check", kombu.Exchange("patch-check"), "patch-check")
    with kombu.Connection(redis_server.db_url(0)) as connection:
        channel = connection.default_channel
        with connection.Producer(channel) as producer:
            producer.publish({"n": 1}, exchange=queue.exchange, routing_key="patch-check", declare=[queue])
        message = queue(channel).get(no_ack=False)  # delivered, not acked: held by this channel
        assert message is not None and message.payload == {"n": 1}
        assert queue(channel).get() is None

        connection.transport.client = None  # what Connection.collect() does (_do_close_transport)
        # What celery 5.7.0's connection.close() does next: the channel drops its pools, then restores.
        channel.close()

    with kombu.Connection(redis_server.db_url(0)) as connection:
        again = queue(connection.default_channel).get(no_ack=True)
        assert again is not None and again.payload == {"n": 1}
