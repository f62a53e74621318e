from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from propflow.health import health

handler400 = "propflow.api_errors.bad_request"
handler403 = "propflow.api_errors.permission_denied"
handler404 = "propflow.api_errors.page_not_found"
handler500 = "propflow.api_errors.server_error"

urlpatterns = [
    re_path(r"^health/?$", health, name="health"),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("properties.api.urls")),
    path("api/v1/", include("photos.api.urls")),
    path("api/v1/", include("outbox.api.urls")),
    re_path(r"^api/v1/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its init script from its own URL (?script), not inline: the docs'
    # Content-Security-Policy allows no inline script (propflow.csp).
    re_path(
        r"^api/v1/docs/?$",
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", template_name="propflow/swagger_ui.html"
        ),
        name="docs",
    ),
    path("admin/", admin.site.urls),
]
