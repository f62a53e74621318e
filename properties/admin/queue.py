"""The review queue's page: its rows with their QC counts, and its paginator."""

import json
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django_stubs_ext import WithAnnotations

from photos.selectors import qc_summaries
from properties.models import Property


class QueueAnnotations(TypedDict):
    is_overdue: bool
    qc_summary: dict[str, int]


if TYPE_CHECKING:
    # A queue row: the property with what the queue's queryset and page add to it.
    QueueRow = WithAnnotations[Property, QueueAnnotations]


def planner_row_estimate(queryset: QuerySet[Any]) -> int | None:
    """PostgreSQL's estimate of how many rows the query returns, from EXPLAIN (the query is
    planned, not run); None on other databases."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    if queryset.query.is_empty():  # .none(): nothing to plan, and EXPLAIN answers nothing
        return 0
    plan = json.loads(queryset.order_by().values("pk").explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator[Property]):
    """Counts exactly up to ``exact_count_limit`` rows. Past it, on PostgreSQL, the count is the
    planner's estimate: a page of a large table never scans the whole table just to count it.
    Page numbers near the end are then approximate, as the estimate is."""

    exact_count_limit = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        assert isinstance(queryset, QuerySet)
        estimate = planner_row_estimate(queryset)
        if estimate is not None and estimate > self.exact_count_limit:
            return estimate
        return queryset.count()


class ReviewQueue(ChangeList):
    """A page of the review queue, with every row's QC counts from one aggregate query."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        summaries = qc_summaries(property.pk for property in self.result_list)
        # Carried on each row like an annotation, for the QC column to read.
        for property in self.result_list:
            property.qc_summary = summaries[property.pk]
