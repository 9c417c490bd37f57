"""viewflow's template tags under their own name, with `{% render form %}` showing each form error once.

viewflow's layout puts the non-field errors in an unstyled block over the first field, so the pages that
also drew a banner showed every error twice. Here the layout draws the one banner itself, in the pages'
style; settings.TEMPLATES maps the `viewflow` library name to this module, so every `{% load viewflow %}`
gets it, viewflow's own templates included.
"""

from __future__ import annotations

from xml.etree import ElementTree

from django import forms, template
from viewflow.forms.renderers import FormLayout
from viewflow.templatetags import viewflow as viewflow_tags


class BannerFormLayout(FormLayout):
    """viewflow's default layout; errors that no visible field shows go in one alert banner above the fields."""

    def append_non_field_errors(self, form: forms.BaseForm, root: ElementTree.Element) -> None:
        errors = [*form.non_field_errors(), *(e for field in form.hidden_fields() for e in field.errors)]
        if errors:
            banner = ElementTree.SubElement(root, "div", {"class": "vc-errors", "role": "alert",
                                                          "data-testid": "form-errors"})
            for error in errors:
                ElementTree.SubElement(banner, "p").text = str(error)


class FormNode(viewflow_tags.FormNode):
    default_layout = BannerFormLayout()


register = template.Library()
register.tags.update(viewflow_tags.register.tags)
register.filters.update(viewflow_tags.register.filters)
register.tag("render", FormNode)
