"""Settings: production hardening (check --deploy) and the embedded default, in fresh processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def run_python(*args: str, **env: str) -> subprocess.CompletedProcess:
    # A clean environment: nothing of the test run's own settings leaks in.
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "k3y-" + "x7Qm9vLp2RtZ8wNc4HbJ6fYd1SgKe5Ua0iOoPq" * 2,
    "DJANGO_ALLOWED_HOSTS": "tandem.example.com",
    "DATABASE_URL": os.environ["DATABASE_URL"],
    "REDIS_URL": os.environ["REDIS_URL"],
}


def test_check_deploy_is_clean_in_production_settings():
    result = run_python("manage.py", "check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_ssl_redirect_can_be_turned_off_behind_a_tls_proxy():
    result = run_python(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        DJANGO_SECURE_SSL_REDIRECT="false",
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}

    result = run_python("manage.py", "check", **env)

    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


def settings_in(**env: str) -> dict:
    code = (
        "import json, django, os;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
        "django.setup(); from django.conf import settings as s;"
        "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'],"
        " 'name': str(s.DATABASES['default']['NAME']), 'eager': s.CELERY_TASK_ALWAYS_EAGER,"
        " 'email': s.EMAIL_BACKEND, 'debug': s.DEBUG, 'mfa': s.TANDEM_MFA_REQUIRED_ROLES,"
        " 'cache': s.CACHES['default']['BACKEND'], 'broker': s.CELERY_BROKER_URL,"
        " 'ssl': s.SECURE_SSL_REDIRECT, 'conn_max_age': s.DATABASES['default'].get('CONN_MAX_AGE'),"
        " 'health': s.DATABASES['default'].get('CONN_HEALTH_CHECKS'),"
        " 'proxy': s.SECURE_PROXY_SSL_HEADER, 'acks_late': s.CELERY_TASK_ACKS_LATE,"
        " 'prefetch': s.CELERY_WORKER_PREFETCH_MULTIPLIER}))"
    )
    result = run_python("-c", code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_default_needs_no_environment():
    embedded = settings_in()

    assert embedded["engine"] == "django.db.backends.sqlite3"
    assert embedded["name"].endswith("var/tandem.sqlite3")
    assert embedded["eager"] is True
    assert embedded["email"] == "django.core.mail.backends.console.EmailBackend"
    assert embedded["debug"] is True
    assert embedded["mfa"] == []
    assert embedded["broker"] == "memory://"


def test_services_mode_uses_postgres_redis_and_safe_celery_settings():
    services = settings_in(**PRODUCTION)

    assert services["engine"] == "config.postgresql"
    assert services["eager"] is False
    assert services["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert services["broker"] == PRODUCTION["REDIS_URL"]
    assert services["debug"] is False
    assert services["ssl"] is True
    assert services["conn_max_age"] > 0
    assert services["health"] is True
    assert services["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert services["mfa"] == ["Admin", "Finance", "HR"]
    assert services["acks_late"] is True
    assert services["prefetch"] == 1


@pytest.mark.parametrize("value", ["", "Finance"])
def test_two_factor_roles_are_configurable(value):
    assert settings_in(**PRODUCTION, TANDEM_MFA_REQUIRED_ROLES=value)["mfa"] == (
        [value] if value else []
    )


def test_the_web_server_runs_its_queries_without_parallel_workers_or_jit():
    """config.wsgi (what gunicorn loads) sets no parallel workers per query and no JIT
    compilation; a management command or a Celery worker keeps PostgreSQL's own settings."""
    show = (
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('SHOW max_parallel_workers_per_gather')\n"
        "    workers = cursor.fetchone()[0]\n"
        "    cursor.execute('SHOW jit')\n"
        "    print(workers, cursor.fetchone()[0])\n"
    )
    # Any database answers SHOW: the server's maintenance database always exists.
    server = {
        **PRODUCTION,
        "DATABASE_URL": PRODUCTION["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres",
    }
    web = run_python("-c", "import config.wsgi\n" + show, **server)
    other = run_python(
        "-c",
        "import django, os\nos.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'\n"
        "django.setup()\n" + show,
        **server,
    )

    # The server's own settings, as a connection without options sees them.
    with psycopg2.connect(server["DATABASE_URL"]) as plain, plain.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        workers = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        own = [workers, cursor.fetchone()[0]]
    plain.close()

    assert web.returncode == 0, web.stderr
    assert web.stdout.split() == ["0", "off"]
    assert other.returncode == 0, other.stderr
    assert other.stdout.split() == own
    assert own != ["0", "off"]  # else this test could not tell the two apart
