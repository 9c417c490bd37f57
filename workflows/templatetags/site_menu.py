"""The site menu's one question: which areas may this user open (each area's index page's own check)?"""

from django import template

from workflows.permissions import one_grants_query

register = template.Library()


@register.filter
def menu_areas(site, user) -> list:
    """The site's areas whose index page would open for the user; viewflow's own check for any other."""
    with one_grants_query(user):
        return [
            app
            for app in site.menu_items()
            if (app.in_menu_for(user) if hasattr(app, "in_menu_for") else app.has_view_permission(user))
        ]
