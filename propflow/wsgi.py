"""WSGI entry point (management and plain-HTTP tooling; the server runs ASGI)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "propflow.settings")

application = get_wsgi_application()
