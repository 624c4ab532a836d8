"""The README says what the CLI needs outside `make run` where its example stands."""

from __future__ import annotations

from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_the_cli_example_says_what_it_needs_outside_make_run():
    start = README.index("**From the shell**")
    end = README.find("\n## ", start)
    section = README[start:end]
    example = section.index("manage.py jobs list demo-token")
    said = section[:example]
    assert "Against the demo tenants, outside `make run`" in said
    assert "DRS_ALLOW_CUSTOM_ENDPOINTS=1" in said and "Custom endpoints must use https." in said
    assert "DASHBOARD_CREDENTIAL_KEYS" in said and "drs_simulator" in said
    line = section[example - 200 : example].rsplit("\n", 1)[1]
    assert line.lstrip().startswith("DRS_ALLOW_CUSTOM_ENDPOINTS=1 ")  # the command carries it
