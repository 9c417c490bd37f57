"""The links of a list page to its own rows as an xlsx or CSV file (`{% export_url "xlsx" %}`)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def export_url(context, fmt: str) -> str:
    """This page's URL with its query string kept and `format` set; the page number goes, an export holds every page."""
    request = context["request"]
    query = request.GET.copy()
    query.pop("page", None)
    query["format"] = fmt
    return f"{request.path}?{query.urlencode()}"
