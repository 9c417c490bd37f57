"""The ballot page's failed-attempt counters live in a cache shared by every worker when REDIS_URL is set (R-A5)."""

import subprocess
import sys


def _cache_backend(env: dict) -> str:
    code = (
        "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'project.settings'; django.setup(); "
        "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env={"DEBUG": "1", "PATH": "", **env}, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_redis_url_makes_the_cache_shared_r_a5():
    assert _cache_backend({"REDIS_URL": "redis://127.0.0.1:6379/0"}).endswith("RedisCache")


def test_without_redis_url_the_cache_is_per_process_r_a5():
    assert _cache_backend({}).endswith("LocMemCache")
