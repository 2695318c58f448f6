"""schemathesis against /api/schema, in process (WSGI), authenticated with every scope.

A bounded number of examples per operation with a fixed seed (derandomize: the same cases every
run), rate limits off for the run. It must find no 5xx, no response that breaks the schema and no
status code the schema does not document.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import TokenScope
from accounts.services import create_token
from communities.models import MemberRole
from communities.services import set_member
from curation.services import request_inclusion
from records import services as records
from storage.services import create_upload, store_stream

EXAMPLES = 8
# the resumable protocol's chunks (PATCH /api/v1/uploads/<id>) are raw bytes, like octet-stream
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def in_process():
    """Requests served in this thread share the test's transaction: no connection closing between them
    (as Django's test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(in_process, depositor, curator, community, valid_metadata, settings):
    settings.RATELIMIT_ENABLE = False
    draft = records.create_draft(depositor, valid_metadata)
    store_stream(draft.files_bucket(), "data.csv", b"a,b\n1,2\n", depositor)
    upload = create_upload(draft.files_bucket(), "big.bin", 10, depositor)
    published = records.publish(
        records.create_draft(depositor, valid_metadata), depositor, declaration_accepted=True
    )
    request = request_inclusion(depositor, published, community)
    set_member(depositor, community, depositor, MemberRole.OWNER)  # the token's user also runs the community
    # real objects to aim at, beside the generated values (which mostly find nothing: 404)
    targets = {
        "id": [draft.pk, published.pk, request.pk],
        "slug": [community.slug],
        "upload_id": [str(upload.pk)],
        "key": ["data.csv"],
        "username": ["curator"],
        "action": ["edit", "publish", "discard"],
    }
    return {"user": depositor, "targets": targets}


def exercise(operation, strategies, headers: dict, statuses: dict[int, int]) -> None:
    """EXAMPLES cases of one operation (a fixed seed), each answer checked against the schema."""

    @given(case=st.one_of(*strategies))
    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case):
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    run()


def test_the_api_keeps_its_contract(world):
    schema = schemathesis.openapi.from_wsgi("/api/schema", WSGIHandler())
    # no constants mined from the application's modules: which modules are imported differs between a
    # lone run and the whole suite (and during a run), and so would the generated data
    schema.config.analysis.constants.enabled = False
    failures: list[str] = []
    operations = 0
    statuses: dict[int, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        # a fresh token per operation: DELETE /api/v1/me/tokens/{id} may revoke the previous one
        _token, secret = create_token(world["user"], "schemathesis", list(TokenScope.values))
        names = {p.name for p in operation.path_parameters}
        # valid data, and invalid data (wrong types, missing fields): both must keep the contract
        strategies = [operation.as_strategy(), operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)]
        for n in range(3):
            aimed = {name: world["targets"][name][n % len(world["targets"][name])] for name in names}
            if aimed:
                strategies.append(operation.as_strategy(path_parameters=aimed))
        try:
            exercise(operation, strategies, {"Authorization": f"Bearer {secret}"}, statuses)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # every operation runs; all failures are reported together
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    print(f"{operations} operations; answers by status: {dict(sorted(statuses.items()))}")
    assert operations >= 40
    assert sum(statuses.get(code, 0) for code in (200, 201, 204)) >= 50  # real work, not only refusals
    assert not failures, "\n\n".join(failures)


def test_stateful_runs_follow_the_links(world):
    """Sequences built from the schema's links (create a draft → its files, uploads, actions; start an
    upload → chunk, finish; ask for inclusion → comment, cancel; mint a token → read, revoke)."""
    schema = schemathesis.openapi.from_wsgi("/api/schema", WSGIHandler())
    # no constants mined from the application's modules: which modules are imported differs between a
    # lone run and the whole suite (and during a run), and so would the generated data
    schema.config.analysis.constants.enabled = False
    calls: list[str] = []

    class Stateful(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case):
            # a fresh token per call: DELETE /api/v1/me/tokens/{id} may revoke the one used before
            _token, secret = create_token(world["user"], "stateful", list(TokenScope.values))
            return {"headers": {"Authorization": f"Bearer {secret}"}}

        def after_call(self, response, case):
            calls.append(f"{case.method} {case.operation.path} {response.status_code}")

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    Stateful.run(
        settings=hypothesis_settings(
            max_examples=15,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            # no shrinking: a replay draws ids from a database the earlier run changed, which hypothesis
            # reports as flaky data generation; a failure is reported as found
            phases=[Phase.explicit, Phase.generate],
            stateful_step_count=6,
        )
    )
    followed = {call.rsplit(" ", 1)[0] for call in calls}
    print(f"stateful: {len(calls)} calls over {len(followed)} operations: {sorted(followed)}")
    assert "POST /api/v1/records" in followed
    # a link from the created draft was followed (which one depends on the schema's set of operations)
    assert any(path.split(" ", 1)[1].startswith("/api/v1/records/{id}") for path in followed), followed
