"""The documented configuration matches the settings: .env.example and README.md's table.

config/settings.py is the source of truth; a variable it reads but the docs omit (or one
the docs list that it no longer reads) fails here.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# env("X"), env.str("X"), env.bool("X"), env.list("X"), env.int("X"), env.email_url("X"),
# env.db_url("X") ... and os.environ / os.getenv, should the settings ever use them.
_SETTINGS_READ = re.compile(
    r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|\bos\.(?:environ\.get|getenv)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|\bos\.environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]"""
)
# `#NAME=value` (commented out, showing the default) or `NAME=value`.
_ENV_EXAMPLE_LINE = re.compile(r"^#?([A-Z][A-Z0-9_]*)=", re.MULTILINE)
_TABLE_ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", re.MULTILINE)


def settings_variables() -> set[str]:
    text = (ROOT / "config" / "settings.py").read_text()
    return {name for match in _SETTINGS_READ.finditer(text) for name in match.groups() if name}


def env_example_variables() -> set[str]:
    return set(_ENV_EXAMPLE_LINE.findall((ROOT / ".env.example").read_text()))


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def readme_table_variables() -> set[str]:
    return set(_TABLE_ROW.findall(readme_section("Configuration")))


def test_the_settings_parser_finds_the_variables():
    # Guards the regex: if settings.py changed how it reads the environment, the
    # comparisons below would pass vacuously.
    names = settings_variables()
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "EMAIL_URL"} <= names
    assert "TANDEM_MFA_REQUIRED_ROLES" in names  # a call spread over several lines
    assert len(names) >= 20


def test_env_example_lists_exactly_the_variables_the_settings_read():
    settings_names = settings_variables()
    documented = env_example_variables()

    assert sorted(settings_names - documented) == [], "read by settings, missing in .env.example"
    assert sorted(documented - settings_names) == [], "in .env.example, not read by settings"


def test_readme_configuration_table_lists_exactly_the_variables_the_settings_read():
    settings_names = settings_variables()
    documented = readme_table_variables()

    assert sorted(settings_names - documented) == [], "read by settings, missing in README table"
    assert sorted(documented - settings_names) == [], "in README table, not read by settings"


def test_each_env_example_variable_has_a_comment_with_its_default():
    lines = (ROOT / ".env.example").read_text().splitlines()
    for index, line in enumerate(lines):
        match = _ENV_EXAMPLE_LINE.match(line)
        if not match:
            continue
        comment = lines[index - 1] if index else ""
        assert comment.startswith("# "), f"{match.group(1)} has no comment line above it"
        assert "Default:" in comment, f"{match.group(1)}'s comment does not state its default"


def test_each_variable_appears_once_in_env_example_and_readme():
    example = _ENV_EXAMPLE_LINE.findall((ROOT / ".env.example").read_text())
    table = _TABLE_ROW.findall(readme_section("Configuration"))

    assert len(example) == len(set(example))
    assert len(table) == len(set(table))
