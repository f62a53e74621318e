from django.urls import re_path

from outbox.api.views import EventListView, WebhookViewSet
from propflow.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("webhooks", WebhookViewSet, basename="webhook")

# With or without the final slash, as every path of the API.
urlpatterns = [
    re_path(r"^events/?$", EventListView.as_view(), name="events"),
    *router.urls,
]
