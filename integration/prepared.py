"""Prepared statements on PostgreSQL: a query that every request runs, planned once per
database connection.

Planning is most of what a short query costs the server (the API token join: 0.25 ms of
0.34), and building it with the ORM costs the web server more than running it (a list
page's tags: 0.6 ms to build a query that runs in 0.06). A statement given here is plain
SQL, prepared on a connection the first time it is run there and executed by name after.
A prepared statement outlives a rolled back transaction; a new connection (Django
reconnects after CONN_MAX_AGE, a failed health check or an error) prepares it again. It is
prepared on the driver's own cursor, as Django sets up a new connection's time zone: setup
of the connection, not one of a request's queries.
"""

from dataclasses import dataclass

from django.db import connection

# The attribute of the connection wrapper that holds (the database connection, the names
# of the statements prepared on it).
_PREPARED = "_tandem_prepared_statements"


@dataclass(frozen=True)
class Statement:
    """A named query: `sql` with %s placeholders, one per parameter, of PostgreSQL
    `types` ("text", "bigint[]"). No other % in `sql`."""

    name: str
    sql: str
    types: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.sql.count("%s") != len(self.types):
            raise ValueError(f"{self.name}: one type per %s placeholder")

    def execute(self, cursor, params: list) -> None:
        """Run the statement with `params` on `cursor` (a cursor of django.db.connection).
        On PostgreSQL it runs prepared; on another database, as plain SQL."""
        if connection.vendor != "postgresql":
            cursor.execute(self.sql, params)
            return
        raw = connection.connection
        prepared = getattr(connection, _PREPARED, None)
        if prepared is None or prepared[0] is not raw:
            prepared = (raw, set())
            setattr(connection, _PREPARED, prepared)
        if self.name not in prepared[1]:
            first, *rest = self.sql.split("%s")
            body = first + "".join(f"${n}{part}" for n, part in enumerate(rest, start=1))
            with raw.cursor() as setup:
                setup.execute(f"PREPARE {self.name}({', '.join(self.types)}) AS {body}")
            prepared[1].add(self.name)
        cursor.execute(f"EXECUTE {self.name}({', '.join(['%s'] * len(params))})", params)
