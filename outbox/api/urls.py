from django.urls import re_path

from outbox.api.views import EventListView

# With or without the final slash, as every path of the API.
urlpatterns = [
    re_path(r"^events/?$", EventListView.as_view(), name="events"),
]
