from rest_framework.pagination import CursorPagination


class CursorPage(CursorPagination):
    """``{"results", "next", "previous"}``: no COUNT(*), steady cost deep into a large table."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"
