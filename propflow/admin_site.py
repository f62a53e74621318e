"""The admin site: Django's, branded PropFlow, with the apps' own pages (register_page) linked
from its index, refusing the malformed requests Django's admin answers with a 500.

Django's admin hands some of a request's values on unchecked, so a hand-edited URL or form
fails deep inside it, in every ModelAdmin alike (SPEC, Errors: no request gets a 500). Here
each is a bad request (400) instead:
- a NUL character in the query string: PostgreSQL cannot compare text holding one, so a search,
  a filter or a lookup with it raises DataError;
- a list action's selected object that is not an id of the model: Django filters ``pk__in``
  with it, and a UUID or integer key raises (SQLite too, on a number beyond 64 bits);
- a date hierarchy's year whose end is past the calendar (9999 and on): Django computes the
  start of the next year and does not catch the error;
- a number beyond SQLite's 64 bits in a lookup Django does not bound (``?pk__in=``), which
  SQLite cannot bind (PostgreSQL compares it as a numeric: an empty list).
And the view-on-site link of an object id that is not one is not found (404): Django's
shortcut catches the ValueError of an integer key, not the ValidationError of a UUID key.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404, HttpRequest, HttpResponseBase
from django.urls import URLPattern, URLResolver, path, reverse

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


class PropFlowAdminConfig(AdminConfig):
    default_site = "propflow.admin_site.PropFlowAdminSite"


@dataclass(frozen=True)
class AdminPage:
    """A page of the site's own (not a model's), listed on the index above the models."""

    route: str
    view: Callable[..., HttpResponseBase]
    name: str
    title: str
    description: str


class PropFlowAdminSite(admin.AdminSite):
    site_header = "PropFlow"
    site_title = "PropFlow"
    index_title = "Back office"
    index_template = "propflow/admin_index.html"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        self._pages: list[AdminPage] = []

    def register_page(
        self,
        route: str,
        view: Callable[..., HttpResponseBase],
        *,
        name: str,
        title: str,
        description: str,
    ) -> None:
        """Serves the view at the route (staff only, with the checks below), named
        ``admin:<name>``, and links it from the index: the apps add their pages this way, as
        they register their models, so that this module imports none of them."""
        self._pages.append(AdminPage(route, view, name, title, description))

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        pages = [
            {
                "title": page.title,
                "description": page.description,
                "url": reverse(f"{self.name}:{page.name}", current_app=self.name),
            }
            for page in self._pages
        ]
        return super().index(request, {"pages": pages, **(extra_context or {})})

    def admin_view(self, view: View, cacheable: bool = False) -> View:
        # A ModelAdmin's own views (its list, its pages) are its bound methods.
        model_admin = getattr(view, "__self__", None)

        @wraps(view)
        def checked_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            _refuse_nul(request)
            if isinstance(model_admin, admin.ModelAdmin):
                _refuse_selection_of_non_ids(request, model_admin)
                _refuse_years_past_the_calendar(request, model_admin)
            try:
                return view(request, *args, **kwargs)
            except OverflowError as error:
                raise BadRequest("A number out of range.") from error

        # Inside Django's wrapper: the sign-in and CSRF checks come first.
        return super().admin_view(cast(View, checked_view), cacheable)

    def get_urls(self) -> list[URLResolver | URLPattern]:
        # Before Django's own view-on-site URL, which this one stands in for.
        view_on_site_url = path(
            "r/<path:content_type_id>/<path:object_id>/",
            self.admin_view(view_on_site),
            name="view_on_site",
        )
        pages = [
            path(page.route, self.admin_view(page.view), name=page.name) for page in self._pages
        ]
        return [view_on_site_url, *pages, *super().get_urls()]


def view_on_site(request: HttpRequest, content_type_id: str, object_id: str) -> HttpResponseBase:
    """Django's shortcut to an object's page on the site; an id that is not one is not found."""
    # Here, not at the top: the shortcut imports a model, and this module loads with the apps.
    from django.contrib.contenttypes.views import shortcut

    try:
        return shortcut(request, content_type_id, object_id)
    except ValidationError as error:
        raise Http404("No such object.") from error


def _refuse_nul(request: HttpRequest) -> None:
    if any("\x00" in value for _, values in request.GET.lists() for value in values):
        raise BadRequest("A NUL character in the query string.")


def _refuse_selection_of_non_ids(request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> None:
    key = model_admin.opts.pk
    for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
        try:
            # An integer key's validators bound it to the database's range.
            key.run_validators(key.to_python(value))
        except ValidationError as error:
            raise BadRequest(f"Not the id of a {model_admin.opts.verbose_name}.") from error


def _refuse_years_past_the_calendar(
    request: HttpRequest, model_admin: admin.ModelAdmin[Any]
) -> None:
    field = model_admin.date_hierarchy
    year = request.GET.get(f"{field}__year") if field else None
    if year is None:
        return
    try:
        number = int(year)
    except ValueError:
        return  # not a number: Django answers it as an invalid lookup
    if not MINYEAR <= number < MAXYEAR:
        raise BadRequest("A year outside the calendar.")
