"""The PostgreSQL backend's health check (config/postgresql): no query for a live
connection, a new connection for one the server closed."""

import time

import psycopg2
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def from_another_connection(sql: str, params=()):
    other = psycopg2.connect(**connection.get_connection_params())
    try:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    finally:
        other.close()


def next_request() -> None:
    """What Django does around a request: the connection is checked again before its
    next query (request_started → close_old_connections)."""
    connection.close_if_unusable_or_obsolete()


def test_the_web_settings_use_this_backend_on_postgresql():
    assert connection.settings_dict["ENGINE"] == "config.postgresql"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    assert connection.vendor == "postgresql"


def test_a_live_connection_is_reused_without_asking_the_server():
    pid = backend_pid()
    raw = connection.connection

    next_request()
    connection.close_if_health_check_failed()  # what the next request's first query does
    # The server saw no SELECT 1 after the last request's query.
    [(last,)] = from_another_connection("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
    assert last == "SELECT pg_backend_pid()"
    assert backend_pid() == pid
    assert connection.connection is raw


def test_a_connection_the_server_closed_is_replaced_before_the_next_request_uses_it():
    pid = backend_pid()
    [(terminated,)] = from_another_connection("SELECT pg_terminate_backend(%s)", [pid])
    assert terminated is True
    deadline = time.monotonic() + 10
    while from_another_connection("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]):
        assert time.monotonic() < deadline, "the backend did not end"
        time.sleep(0.05)

    next_request()
    new_pid = backend_pid()  # no error: the check found the closed socket and reconnected

    assert new_pid != pid
