"""Integration's REST API and the API-wide pieces every app's API uses."""
