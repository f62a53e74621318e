"""The API's JSON parser: DRF's, with a document nested too deeply to parse as bad input."""

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """Python's JSON decoder recurses once per nesting level: ~1,000 nested arrays (a 2.4 KB
    body) exhaust the interpreter's stack, and the RecursionError would escape as a 500."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - the document is nested too deeply.") from error
