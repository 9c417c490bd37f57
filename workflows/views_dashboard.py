"""Placeholder: filled in by its owner."""

from django.urls import path
from django.views.generic import RedirectView

urlpatterns: list = [path("", RedirectView.as_view(url="/home/"), name="index")]
