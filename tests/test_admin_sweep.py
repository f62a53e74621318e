"""Every admin URL, as an admin and as a reviewer, answers below 500, however malformed the
request: SPEC, Errors ("a bad id in an admin filter" never gets a 500).

Nothing here lists the URLs. The pages come from ``admin.site``: the site's own URLs and every
registered ModelAdmin's ``get_urls()``, custom views included. Each page is asked for with a
real object of its model and with junk in every place a request carries a value:
- each URL parameter (an object's id, a workflow action, an app label), one at a time;
- on a list, and on a page that takes a list's query (the CSV export): each link its filters
  offer, and junk in every filter's parameters, the date hierarchy, search, ordering, page, the
  popup and to-field flags and unknown filter names;
- on a change form: junk in what it reads from its query string, and on the add page as every
  field's initial value;
- every form a page shows (a change page, a workflow page, a list's actions), posted as shown
  and with each field junk in turn; each list action on a real object and on junk, and the
  form of the page it answers with (an intermediate page, a confirmation).
A streamed answer (the CSV) is read to its end: failing half-way is a 500 too.
"""

import re
from collections.abc import Collection, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IS_FACETS_VAR, IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.admin.views import main
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.http import HttpResponse, HttpResponseBase
from django.test import Client, RequestFactory
from django.urls import URLPattern, reverse
from django.utils import timezone
from django_celery_results.models import GroupResult, TaskResult
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from outbox.models import Event, WebhookDelivery, WebhookEndpoint
from photos.models import Category, Photo, QcStatus
from properties.models import Property, Status
from properties.services import property_transition
from properties.workflow import Action
from tests.cast import Cast, make_cast
from tests.factories import PhotoFactory
from tests.properties.conftest import property_in

JUNK = (
    "not-a-uuid",
    "0",
    "-1",
    "'",
    "\x00",
    "x" * 10_000,
    "ঠিকানা ✓ 🏠",
    "2026-13-45",
    "999999",
    "99",
    "NaN",
    "1e999",
    "9" * 30,
)
# What a change form reads from its query string: the list to go back to, the popup and the
# to-field flags.
CHANGE_FORM_VARIABLES = ("_changelist_filters", IS_POPUP_VAR, TO_FIELD_VAR)
# What a list reads besides its filters: search, order, page, to-field; and the flags it reads
# only for their presence (all rows, an error, facets, popup).
LIST_VARIABLES = (main.SEARCH_VAR, main.ORDER_VAR, main.PAGE_VAR, TO_FIELD_VAR)
LIST_FLAGS = (main.ALL_VAR, main.ERROR_FLAG, IS_FACETS_VAR, IS_POPUP_VAR)
UNKNOWN_FILTERS = ("no_such_filter", "pk__in", "pk__regex")
# The list's form: the action to take on the rows ticked in it.
ACTION_FIELD = "action"
# Where a page's route takes a value: <converter:name> in a path(), (?P<name>…) in a re_path().
PARAMETER = re.compile(r"<(?:\w+:)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")
# The test client does not check it.
CSRF_FIELD = "csrfmiddlewaretoken"


@dataclass(frozen=True)
class Page:
    """One URL pattern of the admin: a model's (with its model) or the site's own."""

    prefix: str
    route: str
    model: type[Model] | None = None

    def __str__(self) -> str:
        return self.prefix + self.route

    @property
    def parameters(self) -> list[str]:
        return [match["name"] or match["group"] for match in PARAMETER.finditer(self.route)]

    def path(self, values: dict[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            return quote(values[match["name"] or match["group"]], safe="")

        return self.prefix + PARAMETER.sub(value, self.route).lstrip("^").rstrip("$")


def admin_pages() -> list[Page]:
    index = reverse("admin:index")
    pages = [
        Page(index, str(pattern.pattern))
        for pattern in admin.site.get_urls()
        if isinstance(pattern, URLPattern)
    ]
    for model, model_admin in admin.site._registry.items():
        prefix = f"{index}{model._meta.app_label}/{model._meta.model_name}/"
        pages += [Page(prefix, str(pattern.pattern), model) for pattern in model_admin.get_urls()]
    # A route that an earlier one shadows is never reached.
    reached: dict[str, Page] = {}
    for page in pages:
        reached.setdefault(str(page), page)
    return list(reached.values())


def sweep_cases() -> Iterator[Any]:
    for role in ("admin", "reviewer"):
        for page in admin_pages():
            yield pytest.param(role, page, id=f"{role}:{page}")


# --- The world: a real object of every registered model -------------------------------------


@dataclass(frozen=True)
class World:
    cast: Cast
    subjects: dict[type[Model], Model]

    def user(self, role: str) -> User:
        user: User = getattr(self.cast, role)
        return user


def _subjects(cast: Cast) -> dict[type[Model], Model]:
    """The object each model's pages are asked about: a property in review with checked
    photos, an agent and its history; the owner's account; a token, used then blacklisted; a
    webhook endpoint and a delivery; a task's and a group's results."""
    in_review = property_in(Status.IN_REVIEW, cast=cast)
    photo = PhotoFactory.create(
        property=in_review,
        uploaded_by=cast.assigned_agent,
        category=Category.KITCHEN,
        gps_lat=18.537,
        gps_lon=73.894,
        distance_km=0.1,
        qc_status=QcStatus.WARN,
        qc_checks=[{"name": "sharpness", "result": "warn", "detail": "A little blurry."}],
    )
    # A submitted property to assign, and one assigned through the workflow (its history).
    property_in(Status.SUBMITTED, cast=cast)
    property_transition(
        actor=cast.reviewer,
        property_id=property_in(Status.SUBMITTED, cast=cast).pk,
        action=Action.ASSIGN,
        agent_id=cast.assigned_agent.pk,
    )
    RefreshToken.for_user(cast.owner).blacklist()
    # A client's webhook endpoint and its delivery of the assignment's event.
    endpoint = WebhookEndpoint.objects.create(
        owner=cast.owner, url="https://hooks.example.com/in", event_types=["photo.reviewed"]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event=Event.objects.latest("seq"), last_error="HTTP 500"
    )
    return {
        WebhookEndpoint: endpoint,
        WebhookDelivery: delivery,
        Property: in_review,
        Photo: photo,
        User: cast.owner,
        OutstandingToken: OutstandingToken.objects.get(user=cast.owner),
        BlacklistedToken: BlacklistedToken.objects.get(token__user=cast.owner),
        TaskResult: TaskResult.objects.create(
            task_id="5f0c1d9e-sweep", task_name="photos.run_qc", date_done=timezone.now()
        ),
        GroupResult: GroupResult.objects.create(group_id="group-sweep", date_done=timezone.now()),
        # django-axes' sign-in records: a lock-out, a failure and a sign-in.
        AccessAttempt: AccessAttempt.objects.create(
            **SIGN_IN_RECORD, get_data="", post_data="", failures_since_start=5
        ),
        AccessFailureLog: AccessFailureLog.objects.create(**SIGN_IN_RECORD, locked_out=True),
        AccessLog: AccessLog.objects.create(**SIGN_IN_RECORD),
    }


SIGN_IN_RECORD = {
    "username": "+919800000001",
    "ip_address": "203.0.113.7",
    "user_agent": "sweep",
    "http_accept": "*/*",
    "path_info": "/admin/login/",
}


@pytest.fixture
def world(db: None) -> World:
    cast = make_cast()
    return World(cast=cast, subjects=_subjects(cast))


def real_values(world: World, page: Page) -> dict[str, list[str]]:
    """The real values of each URL parameter a page may take."""
    subject = world.subjects[page.model or Property]
    return {
        "object_id": [str(subject.pk)],
        "id": [str(subject.pk)],
        "action": list(Action),
        "app_label": sorted({model._meta.app_label for model in admin.site._registry}),
        "content_type_id": [str(ContentType.objects.get_for_model(subject).pk)],
        "url": ["no-such-page/"],
    }


# --- The forms a page shows, as a browser would post them -------------------------------------


@dataclass
class Form:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    # Checkboxes not ticked (a browser leaves them out) and each select's choices.
    boxes: set[str] = field(default_factory=set)
    options: dict[str, list[str]] = field(default_factory=dict)

    def names(self) -> list[str]:
        named = [name for name, _ in self.fields] + sorted(self.boxes) + list(self.options)
        return [name for name in dict.fromkeys(named) if name != CSRF_FIELD]

    def data(self, **replaced: list[str]) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        for name, value in self.fields:
            data.setdefault(name, []).append(value)
        return {**data, **replaced}

    @property
    def selects_objects(self) -> bool:
        """The list's form, whose rows are selected for an action."""
        return ACTION_CHECKBOX_NAME in self.boxes


class _FormParser(HTMLParser):
    """Every POST form of a page with what a browser would send: inputs (ticked boxes only),
    each select's selected option (the first when none is), and textareas."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._selected: list[str] = []
        self._multiple = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        attrs = {key: value or "" for key, value in attributes}
        if tag == "form":
            self._form = Form(attrs.get("action", "")) if attrs.get("method") == "post" else None
            self.forms += [self._form] if self._form else []
        elif self._form is None:
            return
        elif tag == "option" and self._select is not None:
            self._form.options[self._select].append(attrs.get("value", ""))
            self._selected += [attrs.get("value", "")] if "selected" in attrs else []
        elif not attrs.get("name") or "disabled" in attrs:
            return
        elif tag == "select":
            self._select, self._selected = attrs["name"], []
            self._multiple = "multiple" in attrs
            self._form.options[self._select] = []
        elif tag == "textarea":
            self._textarea, self._text = attrs["name"], []
        elif tag == "input":
            self._input(attrs)

    def _input(self, attrs: dict[str, str]) -> None:
        assert self._form is not None
        kind = attrs.get("type", "text")
        if kind in ("submit", "button", "image", "reset", "file"):
            return
        if kind in ("checkbox", "radio") and "checked" not in attrs:
            self._form.boxes.add(attrs["name"])
            return
        default = "on" if kind in ("checkbox", "radio") else ""
        self._form.fields.append((attrs["name"], attrs.get("value", default)))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._form is not None and self._select is not None:
            # A single choice with none selected sends its first; a multiple one, nothing.
            first = [] if self._multiple else self._form.options[self._select][:1]
            chosen = self._selected or first
            self._form.fields += [(self._select, value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._form is not None and self._textarea is not None:
            self._form.fields.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None


def page_forms(response: HttpResponseBase, path: str) -> list[Form]:
    """The page's own POST forms (not the header's sign-out form, which posts elsewhere)."""
    if not isinstance(response, HttpResponse) or response.status_code != 200:
        return []
    if "html" not in response.get("Content-Type", ""):
        return []
    parser = _FormParser()
    parser.feed(response.content.decode())
    return [form for form in parser.forms if form.action in ("", path)]


# --- The sweep ------------------------------------------------------------------------------


def _shown(sent: object) -> str:
    """What was sent, short enough to read in a failure (the CSRF token left out)."""
    if isinstance(sent, dict):
        sent = {name: values for name, values in sent.items() if name != CSRF_FIELD}
    text = repr(sent)
    return text if len(text) <= 300 else f"{text[:300]}…({len(text)} characters)"


class Sweep:
    """Requests as one signed-in user; every answer of 500 or more is kept, with its error.
    Forms are posted with junk only when ``junk_in_forms`` (else as shown)."""

    def __init__(self, user: User, subject: Model, *, junk_in_forms: bool) -> None:
        self.client = Client(raise_request_exception=False)
        self.client.force_login(user)
        self.subject_id = str(subject.pk)
        self.junk_in_forms = junk_in_forms
        self.failures: list[str] = []

    def get(self, path: str, query: str = "") -> HttpResponseBase:
        return self._answer("GET", path, query, self.client.get(f"{path}?{query}"))

    def post(self, path: str, data: dict[str, list[str]]) -> HttpResponseBase:
        return self._answer("POST", path, data, self.client.post(path, data))

    def _answer(
        self, method: str, path: str, sent: object, response: HttpResponseBase
    ) -> HttpResponseBase:
        error = getattr(response, "exc_info", None)
        failure = "" if error is None else f"{error[0].__name__}: {error[1]}"
        if response.streaming:
            try:
                b"".join(response.streaming_content)  # type: ignore[attr-defined]
            # Whatever it is, it is the failure to report, with the others.
            except Exception as streaming_error:  # noqa: BLE001
                failure = f"{type(streaming_error).__name__} while streaming: {streaming_error}"
            # No response.close() here: the test client's wrapper closed it once the content was
            # read; closing again sends request_finished, which closes PostgreSQL's connection.
        if failure or response.status_code >= 500:
            self.failures.append(
                f"{method} {_shown(path)} {_shown(sent)} → {response.status_code} {failure}"
            )
        return response

    def forms(self, path: str, response: HttpResponseBase) -> None:
        """Posts each of the page's forms; a list's form also with each action on the subject
        (then the form of the page the action answers with, an intermediate page or a
        confirmation) and with junk selected."""
        for form in page_forms(response, path):
            self.fields(path, form)
            if form.selects_objects:
                self.actions(path, form)

    def fields(self, path: str, form: Form, swept: Collection[str] = ()) -> None:
        """The form as shown, then with each field junk in turn (but those already swept)."""
        self.post(path, form.data())
        if not self.junk_in_forms:
            return
        for name in form.names():
            for junk in () if name in swept else JUNK:
                self.post(path, form.data(**{name: [junk]}))

    def actions(self, path: str, form: Form) -> None:
        actions = [choice for choice in form.options[ACTION_FIELD] if choice]
        for action in actions:
            answer = self.post(
                path, form.data(**{ACTION_FIELD: [action], ACTION_CHECKBOX_NAME: [self.subject_id]})
            )
            # An intermediate page carries the list's fields on (the selection, the action).
            for next_form in page_forms(answer, path):
                self.fields(path, next_form, swept=form.names())
        if not actions:
            return
        # Django filters the selection before any action sees it: one action is enough.
        for junk in JUNK:
            self.post(path, form.data(**{ACTION_FIELD: actions[:1], ACTION_CHECKBOX_NAME: [junk]}))


def page_queries(page: Page, response: HttpResponseBase, admin_user: User) -> Iterator[str]:
    """The query strings a model's page is asked with, besides its own: on a change form
    (add or change), junk in what it reads (the list to go back to, the popup and to-field
    flags) and, on the add page, junk as every field's initial value; on a list and on a page
    that takes a list's query (the CSV export), each link the filters offer, then junk in
    every parameter the list reads, its filters' and unknown ones."""
    if page.model is None:
        return
    context = getattr(response, "context", None)
    if context is not None and "adminform" in context:
        yield from _junk_in(CHANGE_FORM_VARIABLES)
        fields = [model_field.attname for model_field in page.model._meta.concrete_fields]
        if not page.parameters:
            # Initial values are each shown on their own: all of them junk at once.
            yield from (urlencode(dict.fromkeys(fields, junk)) for junk in JUNK)
    elif not page.parameters:
        names = yield from _list_links(admin.site._registry[page.model], admin_user)
        yield from _junk_in(sorted(names))
        yield from (urlencode({flag: "1"}) for flag in LIST_FLAGS)


def _junk_in(names: Iterable[str]) -> Iterator[str]:
    for name in names:
        yield from (urlencode({name: junk}) for junk in JUNK)


def _list_links(model_admin: admin.ModelAdmin[Any], user: User) -> Generator[str, None, set[str]]:
    """Each link the list's filters offer, and a date hierarchy's days that are no date or
    past the calendar; returns the names of every parameter the list reads."""
    request = RequestFactory().get("/")
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    names = set(LIST_VARIABLES) | set(UNKNOWN_FILTERS)
    for spec in changelist.filter_specs:
        names.update(name for name in spec.expected_parameters() if name)
        yield from (choice["query_string"].lstrip("?") for choice in spec.choices(changelist))
    if changelist.date_hierarchy:
        parts = [f"{changelist.date_hierarchy}__{part}" for part in ("year", "month", "day")]
        names.update(parts)
        yield urlencode(dict(zip(parts, ("2026", "13", "45"), strict=True)))
        yield from (urlencode({parts[0]: year}) for year in ("9999", "0"))
    return names


def url_values(page: Page, real: dict[str, list[str]]) -> Iterator[tuple[dict[str, str], bool]]:
    """Each combination of real values, then each parameter junk in turn (the others real);
    with whether the values are all real."""
    missing = [name for name in page.parameters if name not in real]
    assert not missing, f"{page}: give the sweep real values for {missing}"
    combinations: list[dict[str, str]] = [{}]
    for name in page.parameters:
        combinations = [{**values, name: value} for values in combinations for value in real[name]]
    yield from ((values, True) for values in combinations)
    for name in page.parameters:
        for junk in JUNK:
            yield {**combinations[0], name: junk}, False


@pytest.mark.parametrize(("role", "page"), list(sweep_cases()))
def test_no_admin_page_answers_500(world: World, role: str, page: Page) -> None:
    assert page.model is None or page.model in world.subjects, (
        f"{page}: give the sweep a {page.model._meta.label} to ask about"
    )
    # Junk in forms as the admin only: the reviewer's forms are the same ones, through the
    # same code (posting them twice doubled the sweep's time), and are posted as shown.
    sweep = Sweep(
        world.user(role), world.subjects[page.model or Property], junk_in_forms=role == "admin"
    )
    queries_asked = False
    for values, real in url_values(page, real_values(world, page)):
        path = page.path(values)
        response = sweep.get(path)
        if not real or response.status_code != 200:
            continue
        # The query string is read the same way whatever the other parameters: asked once.
        if not queries_asked:
            for query in page_queries(page, response, world.cast.admin):
                sweep.get(path, query)
            queries_asked = True
        sweep.forms(path, response)

    assert sweep.failures == [], "\n".join(sweep.failures)


def test_the_sweep_finds_every_model_s_pages_and_the_custom_ones() -> None:
    """The discovery itself: each registered model's list, add and change pages, and the
    custom views of get_urls (the workflow pages, the CSV export, a user's password page)."""
    found = {str(page) for page in admin_pages()}

    for model in admin.site._registry:
        prefix = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert {prefix, f"{prefix}add/", f"{prefix}<path:object_id>/change/"} <= found
    assert {
        "/admin/properties/property/<path:object_id>/workflow/<str:action>/",
        "/admin/properties/property/export.csv",
        "/admin/accounts/user/<id>/password/",
        "/admin/r/<path:content_type_id>/<path:object_id>/",
    } <= found
