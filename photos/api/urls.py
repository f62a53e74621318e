from django.urls import re_path

from photos.api.views import PhotoFileView, PhotoViewSet, PropertyPhotosView
from propflow.routers import UUID_PATTERN, OptionalSlashRouter

router = OptionalSlashRouter()
router.register("photos", PhotoViewSet, basename="photo")

# Every path answers with or without its final slash (mobile clients get this wrong).
urlpatterns = [
    re_path(
        rf"^properties/(?P<property_id>{UUID_PATTERN})/photos/?$",
        PropertyPhotosView.as_view(),
        name="property-photos",
    ),
    re_path(
        rf"^photos/(?P<pk>{UUID_PATTERN})/(?P<variant>file|preview)/?$",
        PhotoFileView.as_view(),
        name="photo-file",
    ),
    *router.urls,
]
