from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Event log"

    def ready(self) -> None:
        # The socket (propflow.realtime, which imports no app) replays from this log.
        from outbox.selectors import LOG
        from propflow.realtime.replay import register

        register(LOG)
