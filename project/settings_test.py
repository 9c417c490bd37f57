"""Settings for the test suite: the production settings with a throwaway key and plain cookies."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-deployment")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("AUDIT_CHAIN_KEY", "test-only-audit-chain-key")
# The test client speaks plain HTTP to the application itself; the HTTPS redirect is the proxy's business.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from project.settings import *  # noqa: E402,F403

# Static files come from the finders (pytest-django's live server serves them); whitenoise serves what
# `collectstatic` wrote, which the CI smoke test (scripts/smoke) runs for real.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
