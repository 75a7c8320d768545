"""The Celery application: late acknowledgement, a worker takes no more units than it runs
(its thread pool: ``CENSUS_NIGHTLY_SITES_AT_ONCE`` at once), no result backend (every result
is a fact in the database)."""

from __future__ import annotations

from celery import Celery

from scanner.settings import Settings

QUEUE = "census"


def make_app(settings: Settings) -> Celery:
    """The app for ``settings.broker_url``, with the census tasks registered."""
    from scanner.workers.tasks import register

    app = Celery("census", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # a unit is acknowledged once done: a dead worker's is redelivered
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a worker holds no more units than threads running them
        task_ignore_result=True,
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": settings.broker_visibility_timeout,
            # look for units of dead workers every few seconds (kombu: ~100 s by default)
            "unacked_restore_interval": max(
                1, min(10, int(settings.broker_visibility_timeout / 4))
            ),
            "unacked_restore_throttle": 1,
        },
        worker_hijack_root_logger=False,
        worker_send_task_events=True,
    )
    register(app, settings)

    from celery.signals import worker_shutdown

    from scanner.workers.tasks import close_runtimes

    worker_shutdown.connect(
        lambda **_: close_runtimes(), weak=False, dispatch_uid="census-close-runtimes"
    )
    return app
