from properties.api.views import PropertyViewSet
from propflow.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("properties", PropertyViewSet, basename="property")

urlpatterns = router.urls
