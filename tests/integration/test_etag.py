"""Optimistic locking: ETag on detail reads, If-Match on writes, If-None-Match → 304."""

from datetime import timedelta

import pytest
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from integration.api.etag import etag_for, etag_matches
from integration.models import ApiToken
from integration.services import api_token_create
from tests.busapp.models import Projection

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.integration.etag_urls")]

URL = "/api/v1/test/etag-tokens/{}/"


@pytest.fixture
def admin(make_user):
    return make_user(roles=["Admin"])


@pytest.fixture
def client(admin) -> APIClient:
    _, raw = api_token_create(user=admin, name="caller", scopes=["*"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def subject(admin) -> ApiToken:
    token, _ = api_token_create(user=admin, name="before", scopes=["*"])
    return token


def microseconds(token: ApiToken) -> str:
    return f'"{int(token.updated_at.timestamp()) * 1_000_000 + token.updated_at.microsecond}"'


def test_detail_get_returns_the_updated_at_etag(client, subject):
    response = client.get(URL.format(subject.pk))

    assert response.status_code == 200
    assert response.headers["ETag"] == microseconds(subject)
    assert response.json()["name"] == "before"


def test_if_none_match_with_the_current_etag_is_304_without_body(client, subject):
    etag = client.get(URL.format(subject.pk)).headers["ETag"]

    response = client.get(URL.format(subject.pk), HTTP_IF_NONE_MATCH=f'"other", W/{etag}')

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["ETag"] == etag


def test_if_none_match_with_an_old_etag_returns_the_object(client, subject):
    response = client.get(URL.format(subject.pk), HTTP_IF_NONE_MATCH='"1"')

    assert response.status_code == 200
    assert response.json()["id"] == subject.pk


def test_patch_with_a_stale_if_match_is_412_and_changes_nothing(client, subject):
    stale = client.get(URL.format(subject.pk)).headers["ETag"]
    ApiToken.objects.filter(pk=subject.pk).update(
        name="changed elsewhere", updated_at=subject.updated_at + timedelta(seconds=1)
    )

    response = client.patch(URL.format(subject.pk), {"name": "mine"}, HTTP_IF_MATCH=stale)

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert response.json()["detail"]
    subject.refresh_from_db()
    assert subject.name == "changed elsewhere"


def test_patch_with_the_current_if_match_saves_and_returns_the_new_etag(client, subject):
    etag = client.get(URL.format(subject.pk)).headers["ETag"]

    response = client.patch(URL.format(subject.pk), {"name": "after"}, HTTP_IF_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["name"] == "after"
    subject.refresh_from_db()
    assert subject.name == "after"
    assert response.headers["ETag"] == microseconds(subject)
    assert response.headers["ETag"] != etag
    assert client.get(URL.format(subject.pk)).headers["ETag"] == response.headers["ETag"]


def test_put_with_a_stale_if_match_is_412(client, subject):
    response = client.put(URL.format(subject.pk), {"name": "mine"}, HTTP_IF_MATCH='"1"')

    assert response.status_code == 412
    subject.refresh_from_db()
    assert subject.name == "before"


def test_a_write_without_if_match_proceeds(client, subject):
    response = client.put(URL.format(subject.pk), {"name": "after"})

    assert response.status_code == 200
    subject.refresh_from_db()
    assert subject.name == "after"
    assert response.headers["ETag"] == microseconds(subject)


def test_if_match_star_matches_any_version(client, subject):
    response = client.patch(URL.format(subject.pk), {"name": "after"}, HTTP_IF_MATCH="*")

    assert response.status_code == 200


def test_a_weak_etag_never_satisfies_if_match(client, subject):
    etag = client.get(URL.format(subject.pk)).headers["ETag"]

    response = client.patch(URL.format(subject.pk), {"name": "after"}, HTTP_IF_MATCH=f"W/{etag}")

    assert response.status_code == 412


def test_invalid_input_is_still_400_with_a_matching_if_match(client, subject):
    etag = client.get(URL.format(subject.pk)).headers["ETag"]

    response = client.patch(URL.format(subject.pk), {"name": ""}, HTTP_IF_MATCH=etag)

    assert response.status_code == 400
    subject.refresh_from_db()
    assert subject.name == "before"


def test_unknown_object_is_404(client):
    response = client.patch(URL.format(999_999), {"name": "x"}, HTTP_IF_MATCH='"1"')

    assert response.status_code == 404


def test_a_version_field_is_the_etag():
    assert etag_for(Projection(key="k", value=1, version=7)) == '"7"'


@pytest.mark.parametrize(
    ("header", "weak", "expected"),
    [
        ('"5"', False, True),
        ('"4", "5"', False, True),
        ('W/"5"', False, False),
        ('W/"5"', True, True),
        ('"4"', True, False),
        ("*", False, True),
        ("garbage", False, False),
    ],
)
def test_etag_matching(header, weak, expected):
    assert etag_matches(header, '"5"', weak=weak) is expected


@override_settings(ROOT_URLCONF="tests.integration.etag_urls")
def test_schema_documents_the_conditional_headers():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    path = schema["paths"]["/api/v1/test/etag-tokens/{id}/"]
    names = {method: {p["name"] for p in op.get("parameters", [])} for method, op in path.items()}
    assert "If-None-Match" in names["get"]
    assert "If-Match" in names["put"]
    assert "If-Match" in names["patch"]
