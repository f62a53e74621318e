from django.urls import re_path

from properties.api.views import PropertyViewSet, StatsView
from propflow.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("properties", PropertyViewSet, basename="property")

urlpatterns = [
    *router.urls,
    re_path(r"^stats/?$", StatsView.as_view(), name="stats"),
]
