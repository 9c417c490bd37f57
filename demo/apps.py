"""App config for the demo county and its seed_demo command."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    # Shown nowhere (the app has no models): a name for developers, not a message to translate.
    verbose_name = "演示县"
