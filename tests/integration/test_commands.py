"""Management commands of the foundation: create_api_token, ensure_admin, seed_demo."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from integration.api.authentication import token_by_secret
from integration.models import ApiToken

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_api_token_prints_only_the_token(make_user):
    user = make_user(username="integrator")

    out = run("create_api_token", "integrator", "--scopes", "crm:read", "sales:write")

    raw = out.strip()
    assert out == raw + "\n"
    token = token_by_secret(raw)
    assert token.user == user
    assert token.scopes == ["crm:read", "sales:write"]
    assert token.expires_at is None


def test_create_api_token_with_expiry(make_user):
    make_user(username="integrator")

    raw = run("create_api_token", "integrator", "--scopes", "*", "--expires-days", "7").strip()

    days = (token_by_secret(raw).expires_at - timezone.now()).days
    assert days in (6, 7)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ghost", "--scopes", "*"], "No user named 'ghost'"),
        (["integrator", "--scopes", "crm:delete"], "Unknown scope(s): crm:delete"),
        (["integrator", "--scopes", "*", "--expires-days", "0"], "positive"),
    ],
)
def test_create_api_token_refuses_bad_input_and_writes_nothing(make_user, args, message):
    make_user(username="integrator")

    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run("create_api_token", *args)

    assert ApiToken.objects.count() == 0


def test_ensure_admin_creates_the_superuser_once(settings, tmp_path):
    settings.VAR_DIR = tmp_path

    first = run("ensure_admin")
    second = run("ensure_admin")

    password = (tmp_path / "admin-password.txt").read_text().strip()
    assert password in first
    assert password not in second
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser
    assert admin.check_password(password)
    assert admin.groups.filter(name="Admin").exists()
    assert (tmp_path / "admin-password.txt").stat().st_mode & 0o777 == 0o600


def test_seed_demo_creates_one_user_per_role_and_is_idempotent(settings, tmp_path):
    settings.VAR_DIR = tmp_path

    run("seed_demo")
    run("seed_demo")

    password = (tmp_path / "demo-password.txt").read_text().strip()
    users = get_user_model().objects.filter(email__endswith="@demo.tandem.localhost")
    assert sorted(users.values_list("username", flat=True)) == sorted(
        ["admin", "manager", "sales", "marketing", "support", "hr", "finance", "warehouse"]
    )
    hr = users.get(username="hr")
    assert hr.check_password(password)
    assert list(hr.groups.values_list("name", flat=True)) == ["HR"]
