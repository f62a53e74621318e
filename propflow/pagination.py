from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from propflow.utc import as_utc


class CursorPage(CursorPagination):
    """``{"results", "next", "previous"}``: no COUNT(*), steady cost deep into a large table.

    A malformed ``page_size`` or ``cursor`` is a 400, not silently the first page.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"Enter a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return int(raw)

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError) as error:
            # A well-formed cursor whose position is not a value of the ordering field: no
            # cursor this API handed out.
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from error

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound as error:
            raise ValidationError({self.cursor_query_param: [str(error.detail)]}) from error
        if cursor is None or cursor.position is None:
            return cursor
        # A string, whatever the stubs say: the value of the ordering field as sent.
        position: Any = self._utc_position(str(cursor.position))
        return cursor._replace(position=position)

    def _utc_position(self, position: str) -> str:
        """A timestamp position as the same instant in UTC (a forged cursor at
        ``2025-01-01T00:00:00-19:30`` too), other positions as they are."""
        try:
            value = parse_datetime(position)
        except ValueError:
            value = None  # not a real date: the query's own validation refuses it (400)
        if value is None or value.tzinfo is None:
            return position
        utc = as_utc(value)
        if utc is None:
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]})
        return utc.isoformat()

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters
