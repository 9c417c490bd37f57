"""Settings for the test suite: the production settings with a throwaway key and plain cookies."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-deployment")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("AUDIT_CHAIN_KEY", "test-only-audit-chain-key")

from project.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
