"""The area pages' frame: a row of links declared as data, and messages kept on the page (base_area.html)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest
from django.urls import reverse


@dataclass(frozen=True)
class NavLink:
    """One link of an area's row; without a URL name, a plain caption (the appraisal round's title)."""

    label: Any
    url_name: str = ""
    #: `visible(page)`: whether this user sees the link; None for everyone.
    visible: Callable[[Any], bool] | None = None
    #: `args(page)`: the URL's arguments.
    args: Callable[[Any], Sequence[Any]] | None = None
    #: `current(page, context, url)`: whether the page is this link's; None for the area's own rule.
    current: Callable[[Any, dict, str], bool] | None = None
    testid: str = ""


class AreaPage(LoginRequiredMixin):
    """An area's page: its links (`nav`) in the frame, and its messages in the page rather than in a snackbar."""

    #: The area's name, giving base_area.html its `vc-area--<area>` class (the stylesheet's scope).
    area = ""
    nav: Sequence[NavLink] = ()
    nav_class = ""
    nav_label: Any = ""
    #: The fewest visible links for the row to be shown at all.
    nav_min_links = 1
    #: The URL name of the link that this page belongs under.
    nav_name = ""
    request: HttpRequest

    def nav_shown(self, links: list[dict], context: dict) -> bool:
        return len([link for link in links if link["url"]]) >= self.nav_min_links

    def link_is_current(self, link: NavLink, context: dict, url: str) -> bool:
        if link.current is not None:
            return link.current(self, context, url)
        return link.url_name == self.nav_name

    def frame_context(self, context: dict) -> dict:
        """The frame's part of the page's context: the links, and the messages taken out of the request."""
        links = []
        for link in self.nav:
            if link.visible is not None and not link.visible(self):
                continue
            label = link.label(self) if callable(link.label) else link.label
            url = reverse(link.url_name, args=link.args(self) if link.args else None) if link.url_name else ""
            current = bool(url) and self.link_is_current(link, context, url)
            links.append({"url": url, "label": label, "current": current, "testid": link.testid})
        return {
            "area": self.area,
            "area_nav": links,
            "area_nav_shown": self.nav_shown(links, context),
            "area_nav_class": self.nav_class,
            "area_nav_label": self.nav_label,
            # Messages go into the page, where a refusal stays readable; an empty `messages` keeps
            # viewflow's snackbar, which shows only the last one for a few seconds, from repeating them.
            "page_messages": list(messages.get_messages(self.request)),
            "messages": (),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.frame_context(context))
        return context
