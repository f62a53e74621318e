"""The Content-Security-Policy of the pages people open in a browser: the admin and the API docs.

The policy is ``CONTENT_SECURITY_POLICY`` (each directive with its sources), sent on every
response whose path starts with one of ``CONTENT_SECURITY_POLICY_PATHS``, unless the view set a
policy of its own. Scripts and styles come from files only: should some text ever reach a page
as HTML, the browser runs none of its scripts, handlers or styles.
"""

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.deprecation import MiddlewareMixin

HEADER = "Content-Security-Policy"


def policy_header(policy: Mapping[str, Sequence[str]]) -> str:
    """The header's value: the directives in order, each followed by its sources."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


def url_source(url: str) -> str:
    """The source that allows a URL template's server: its scheme and host, with Leaflet's
    ``{s}`` subdomain placeholder as a wildcard (``https://*.tile.example``)."""
    parts = urlsplit(url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}"


class ContentSecurityPolicyMiddleware(MiddlewareMixin):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        covered = request.path_info.startswith(tuple(settings.CONTENT_SECURITY_POLICY_PATHS))
        if covered and HEADER not in response:
            response[HEADER] = policy_header(settings.CONTENT_SECURITY_POLICY)
        return response
