"""The WebSocket URL patterns, routed by ``propflow.asgi`` behind the authentication middlewares."""

from django.urls import re_path

from propflow.realtime.consumers import EventsConsumer, UnknownPathConsumer

websocket_urlpatterns = [
    # With or without the final slash, as for the HTTP API.
    re_path(r"^ws/events/?$", EventsConsumer.as_asgi()),
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
