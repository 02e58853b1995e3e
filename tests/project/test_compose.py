"""docker-compose.yml and the Dockerfile, checked by parsing them (no Docker engine needed)."""

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from tests.project.test_env_example import env_example_variables, readme_table_variables

ROOT = Path(__file__).resolve().parents[2]
TANDEM_SERVICES = ("web", "worker", "beat")
REQUIRED_ENVIRONMENT = {
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_DEBUG",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def command_words(command) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(word) for word in command]


def dockerfile_cmd() -> list[str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    match = re.search(r"^CMD\s+(\[.*\])\s*$", text, re.MULTILINE)
    assert match, "the Dockerfile has no exec-form CMD"
    return json.loads(match.group(1))


def environment_of(service: dict) -> dict:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in environment)
    return environment


def test_all_services_exist(services):
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)


def test_web_runs_gunicorn_with_the_wsgi_application(services):
    # web may rely on the image's CMD; either way it is gunicorn config.wsgi on port 8000.
    words = command_words(services["web"].get("command")) or dockerfile_cmd()
    assert words[0] == "gunicorn"
    assert "config.wsgi" in words or "config.wsgi:application" in words
    assert "0.0.0.0:8000" in words


def test_worker_runs_a_celery_worker(services):
    assert command_words(services["worker"]["command"])[:4] == ["celery", "-A", "config", "worker"]


def test_beat_runs_celery_beat_with_a_writable_schedule(services):
    words = command_words(services["beat"]["command"])
    assert words[:4] == ["celery", "-A", "config", "beat"]
    # The code in /app belongs to root; the schedule must go where the app user may write.
    assert not words[words.index("--schedule") + 1].startswith("/app")


def test_every_long_running_service_has_a_healthcheck(services):
    missing = [
        name
        for name, service in services.items()
        if service.get("restart") != "no" and not ((service.get("healthcheck") or {}).get("test"))
    ]
    assert missing == []


def test_migrations_run_once_before_web_and_worker(services):
    migrate = services["migrate"]
    assert command_words(migrate["command"])[-3:] == ["manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    # The image's check probes the web server, which a one-shot job never starts.
    assert migrate["healthcheck"] == {"disable": True}
    for name in ("web", "worker"):
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully"


def test_web_healthcheck_calls_healthz(services):
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_dockerfile_healthcheck_calls_healthz_without_curl():
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    healthcheck = re.search(r"^HEALTHCHECK .*?CMD (\[.*\])\s*$", text, re.MULTILINE)
    assert healthcheck
    words = json.loads(healthcheck.group(1))
    assert words[0] == "python"
    assert "/healthz" in words[-1]


def test_redis_persists_and_never_evicts(services):
    words = command_words(services["redis"]["command"])
    assert words[words.index("--appendonly") + 1] == "yes"
    assert words[words.index("--maxmemory-policy") + 1] == "noeviction"
    assert any(volume.endswith(":/data") for volume in services["redis"]["volumes"])


def test_postgres_data_is_on_a_named_volume(compose, services):
    volumes = services["postgres"]["volumes"]
    data = [v.split(":")[0] for v in volumes if v.endswith(":/var/lib/postgresql/data")]
    assert data, "postgres data directory is not on a volume"
    assert data[0] in (compose.get("volumes") or {}), "postgres data is not a named volume"


@pytest.mark.parametrize("name", TANDEM_SERVICES)
def test_tandem_services_wait_for_healthy_postgres_and_redis(services, name):
    depends_on = services[name]["depends_on"]
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", TANDEM_SERVICES)
def test_tandem_services_build_from_the_dockerfile(services, name):
    assert services[name]["build"] in (".", {"context": "."})


def test_tandem_services_share_one_environment(services):
    environments = [environment_of(services[name]) for name in TANDEM_SERVICES]
    assert all(env == environments[0] for env in environments)
    assert set(environments[0]) >= REQUIRED_ENVIRONMENT


def test_compose_environment_is_production_like(services):
    environment = environment_of(services["web"])
    assert environment["DJANGO_DEBUG"] == "false"
    assert environment["DJANGO_STATIC_MANIFEST"] == "true"
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert environment["REDIS_URL"].startswith("redis://redis:")
    # No default secret: compose refuses to start until one is set.
    assert re.fullmatch(r"\$\{DJANGO_SECRET_KEY:\?[^}]+\}", environment["DJANGO_SECRET_KEY"])


def test_every_compose_variable_is_documented(services):
    names = set()
    for name, service in services.items():
        if name in ("postgres", "redis"):
            continue  # the images' own variables
        names |= set(environment_of(service))

    assert sorted(names - env_example_variables()) == [], "missing in .env.example"
    assert sorted(names - readme_table_variables()) == [], "missing in README's table"
