"""ASGI entry point: HTTP through Django (bodies over their limit refused first), WebSockets
through Channels, and the lifespan (the embedded default's beat, ``propflow.embedded_beat``)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "propflow.settings")

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from propflow.embedded_beat import lifespan  # noqa: E402
from propflow.realtime.auth import TokenAuthMiddleware  # noqa: E402
from propflow.realtime.routing import websocket_urlpatterns  # noqa: E402
from propflow.request_limits import RequestBodyLimit  # noqa: E402

# The session middlewares find the admin's staff user; the token middleware inside them gives
# a token's user precedence. The Origin is checked by the consumer, per connection (not by
# channels' AllowedHostsOriginValidator, which reads ALLOWED_HOSTS once, at import).
application = ProtocolTypeRouter(
    {
        "http": RequestBodyLimit(django_asgi_app),
        "websocket": AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(websocket_urlpatterns))),
        "lifespan": lifespan,
    }
)
