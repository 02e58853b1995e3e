"""integration.prepared: a statement prepared once per database connection."""

import pytest
from django.db import connection, transaction

from integration.prepared import Statement

ECHO = Statement("tandem_test_echo", "SELECT %s::text || %s::text", ("text", "text"))


def run(first: str, second: str) -> str:
    with connection.cursor() as cursor:
        ECHO.execute(cursor, [first, second])
        return cursor.fetchone()[0]


def prepared_here() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements ORDER BY name")
        return [name for (name,) in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_a_statement_is_prepared_once_per_connection_and_outlives_a_rollback():
    assert run("a", "b") == "ab"
    assert run("c", "d") == "cd"  # executed by name: preparing it again would fail
    assert "tandem_test_echo" in prepared_here()

    connection.close()  # as after CONN_MAX_AGE, a failed health check or an error
    assert "tandem_test_echo" not in prepared_here()
    assert run("e", "f") == "ef"

    connection.close()
    with transaction.atomic():
        assert run("g", "h") == "gh"  # prepared inside a transaction that is rolled back
        transaction.set_rollback(True)
    assert run("i", "j") == "ij"
    assert prepared_here().count("tandem_test_echo") == 1


def test_a_statement_has_one_type_per_placeholder():
    with pytest.raises(ValueError, match="one type per %s placeholder"):
        Statement("tandem_test_bad", "SELECT %s, %s", ("text",))
