"""gunicorn's configuration for production: `gunicorn -c deploy/gunicorn.conf.py` (README, Production).

Every value can be changed from the environment (the service's env file). Before any worker starts, the master
runs Django's deployment checks and refuses to serve if one fails: a development key, REDIS_URL missing while
several workers serve, DEBUG on.
"""

import os

wsgi_app = "project.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# The deployment check reads the same number (workflows/checks.py), so that it sees how many processes serve.
os.environ["WEB_CONCURRENCY"] = str(workers)
threads = 1
# PDFs of a whole county (ballot sheets, year-end reports) can take a while; nothing else comes near this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak never grows into an outage.
max_requests = 2000
max_requests_jitter = 200
# Only the proxy on this machine may tell gunicorn the original scheme (X-Forwarded-Proto).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Logs go to standard output and error: systemd's journal keeps and rotates them (README, Logs).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "cadres"


def on_starting(server):
    """Refuse to start on a failing deployment check (`manage.py check --deploy`)."""
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    call_command("check", deploy=True, fail_level="ERROR")
