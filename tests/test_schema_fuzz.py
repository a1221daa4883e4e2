"""Schemathesis over the whole published schema, in-process against the WSGI app, as three roles
(county administrator, grid worker, resident): bounded, derandomized examples per operation; no server
error, and every response conforms (its status code documented, its body valid for the schema)."""

import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token

from linli.accounts.models import Role

MAX_EXAMPLES = int(os.environ.get("LINLI_FUZZ_EXAMPLES", "3"))
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance")


@pytest.fixture
def schema(db):
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from linli.wsgi import application

    # Called straight through WSGI (not Django's test client), each request would close the database
    # connection at its end, and with it the test's transaction: keep it open, as the test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(county, make_user):
    users = {"county_admin": make_user(Role.Kind.COUNTY_ADMIN, county["county"]),
             "grid_worker": make_user(Role.Kind.GRID_WORKER, county["A1"]),
             "resident": make_user(Role.Kind.RESIDENT, county["A1"])}
    return {role: Token.objects.create(user=u).key for role, u in users.items()}


def _checks():
    from schemathesis.specs.openapi import checks

    return [getattr(checks, name, None) or getattr(schemathesis.checks, name) for name in CHECKS]


def test_the_api_answers_every_generated_request_as_its_schema_says(schema, tokens, capsys):
    figures, failures = Counter(), []
    checks = _checks()
    for result in schema.get_all_operations():
        operation = result.ok()
        figures["operations"] += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            for role, key in tokens.items():
                response = case.call(headers={"Authorization": f"Token {key}"})
                figures["calls"] += 1
                if response.status_code >= 500:
                    figures["5xx"] += 1
                try:
                    case.validate_response(response, checks=checks)
                except BaseException as exc:  # a FailureGroup: collected, reported, asserted below
                    if isinstance(exc, KeyboardInterrupt | SystemExit):
                        raise
                    figures["conformance failures"] += 1
                    failures.append(f"{role} {case.method} {case.formatted_path} → {response.status_code}: "
                                    f"{str(exc).splitlines()[0][:200]}")

        run()
    with capsys.disabled():
        print("\nschema fuzz:", dict(figures))
        for line in sorted(set(failures))[:80]:
            print("  ", line)
    assert figures["5xx"] == 0 and not failures, f"{figures}: {len(set(failures))} distinct failures"
