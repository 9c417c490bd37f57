"""Form widgets every app's pages share."""

from django import forms


class DateInput(forms.DateInput):
    """The browser's own date picker, in ISO form whatever the language."""

    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)
