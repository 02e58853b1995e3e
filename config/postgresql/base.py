"""Django's PostgreSQL backend, whose health check reads the socket instead of asking.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` at the first query of every request
before it reuses a connection: a round trip to the server per request (8.5 % of a
gunicorn worker's wall time on an account list page under load, by py-spy). An idle connection has
nothing to read, though: the server speaks only when asked, unless it is closing the
connection (a restart, `pg_terminate_backend`, idle_session_timeout), when it sends its
FATAL notice and closes the socket. So a connection whose socket has nothing to read is
alive as far as the server has said; only one with something waiting is asked, Django's
way, and closed if the question fails.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        try:
            waiting, _, _ = select.select([self.connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not waiting or super().is_usable()
