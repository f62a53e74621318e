"""The review queue as CSV, streamed."""

import csv
from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone

from photos.selectors import qc_summaries
from properties.models import Property

if TYPE_CHECKING:
    from properties.admin.queue import QueueRow

EXPORT_CHUNK_SIZE = 1000
EXPORT_HEADER = (
    "id",
    "address",
    "city",
    "postal_code",
    "property_type",
    "status",
    "owner",
    "assigned_agent",
    "due_date",
    "overdue",
    "qc_pass",
    "qc_warn",
    "qc_fail",
    "qc_pending",
    "qc_error",
    "valuation_amount",
    "created_at",
)


def export_csv_view(
    model_admin: admin.ModelAdmin[Property], request: HttpRequest
) -> HttpResponseBase:
    """The queue as CSV, with the filters, search and order of the page it was asked from
    (its query string), every row rather than one page. Streamed in chunks: two queries
    per EXPORT_CHUNK_SIZE rows (the properties, their QC counts), whatever the total."""
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    try:
        changelist = model_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        return HttpResponseRedirect(reverse("admin:properties_property_changelist"))
    queryset = changelist.get_queryset(request).select_related("owner", "assigned_agent")
    writer = csv.writer(_Echo())
    rows = (writer.writerow(row) for row in _export_rows(queryset))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="properties-{stamp}.csv"'
    return response


class _Echo:
    """A file-like object for csv.writer that hands each row back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _export_rows(queryset: "QuerySet[QueueRow]") -> Iterator[list[str]]:
    yield list(EXPORT_HEADER)
    properties: Iterator[QueueRow] = queryset.iterator(chunk_size=EXPORT_CHUNK_SIZE)
    while chunk := list(islice(properties, EXPORT_CHUNK_SIZE)):
        summaries = qc_summaries(property.pk for property in chunk)
        for property in chunk:
            summary = summaries[property.pk]
            yield [
                str(property.pk),
                _cell(property.address),
                _cell(property.city),
                _cell(property.postal_code),
                property.property_type,
                property.status,
                _cell(str(property.owner)),
                _cell(str(property.assigned_agent or "")),
                str(property.due_date or ""),
                "yes" if property.is_overdue else "no",
                *(str(summary[key]) for key in ("pass", "warn", "fail", "pending", "error")),
                str(property.valuation_amount or ""),
                property.created_at.isoformat(),
            ]


def _cell(text: str) -> str:
    """Free text as a spreadsheet shows it, never as a formula (CSV injection): a leading
    =, +, - or @ is quoted with an apostrophe."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
