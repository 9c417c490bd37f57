"""How `{% render form %}` lays out a form's errors: once, in the pages' banner style.

viewflow's default layout puts the non-field errors in an unstyled block over the first field, so the
pages that also drew a banner showed every error twice. `BannerFormLayout` draws that one banner itself;
`WorkflowsConfig.ready()` makes it the layout of viewflow's `render` tag (its `default_layout`, a class
attribute meant to be replaced), so every page, viewflow's own included, shows errors the same way.
"""

from __future__ import annotations

from xml.etree import ElementTree

from django import forms
from viewflow.forms.renderers import FormLayout
from viewflow.templatetags.viewflow import FormNode


class BannerFormLayout(FormLayout):
    """viewflow's default layout; errors that no visible field shows go in one alert banner above the fields."""

    def append_non_field_errors(self, form: forms.BaseForm, root: ElementTree.Element) -> None:
        errors = [*form.non_field_errors(), *(e for field in form.hidden_fields() for e in field.errors)]
        if errors:
            banner = ElementTree.SubElement(
                root, "div", {"class": "vc-errors", "role": "alert", "data-testid": "form-errors"}
            )
            for error in errors:
                ElementTree.SubElement(banner, "p").text = str(error)


def use_banner_layout() -> None:
    FormNode.default_layout = BannerFormLayout()
