"""Schema fuzzing: schemathesis sends generated requests, valid and not, to a running server
and fails on any 5xx or any response that disagrees with the OpenAPI schema."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from service import create_app
from tests.service.conftest import API_KEY, index_sample, serve, writable_settings

pytestmark = pytest.mark.server

# Bounded: each operation gets this many generated cases (plus schemathesis's own explicit
# examples); the whole module took 112 s on 2 cores at load average 17, 36 s of it starting
# the server over the sample corpus.
EXAMPLES = 100


def settings_at(store: Path):
    # A write rate the fuzzer cannot exhaust, so writes reach the routes rather than the
    # limiter (whose 429 is still documented and checked on every write route).
    settings = writable_settings(store)
    settings.service.write_burst = 1_000_000
    return settings


# The schema is the app's own, built without starting it (nothing is opened), because
# schemathesis parametrizes at import time; the requests go to the running server below,
# and test_the_fuzzed_schema_is_the_served_one checks the two agree. (Loading it from the
# server through schemathesis.pytest.from_fixture fails under pytest 9.2: it sets a node
# attribute pytest no longer has.)
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            # Every built-in check runs. A body over QA_SERVICE__MAX_REQUEST_KB is refused with
            # 413, before it is parsed: a rejection like the others (and documented).
            "negative_data_rejection": {
                "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]
            }
        },
        "operations": [
            {
                # The schema can say "files" but not "readable .txt/.md/.html/.pdf in UTF-8",
                # so schema-valid uploads are rightly refused (415, 422).
                "include-path": "/documents",
                "include-method": "POST",
                "checks": {"positive_data_acceptance": {"enabled": False}},
            }
        ],
    }
)
schema = schemathesis.openapi.from_dict(
    create_app(settings_at(Path("never-opened"))).openapi(), config=CONFIG
)


@pytest.fixture(scope="module")
def fuzzed_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own over a copy of the sample corpus, with an API key.

    Writes are fuzzed too, with the key sent (schemathesis also checks that they are refused
    without it); whatever they add or delete is in this module's store only.
    """
    store = tmp_path_factory.mktemp("service-fuzzed") / "store"
    index_sample(settings_at(store))
    with serve(create_app(settings_at(store))) as url:
        yield url


def test_the_fuzzed_schema_is_the_served_one(fuzzed_url):
    assert httpx.get(f"{fuzzed_url}/openapi.json").json() == schema.raw_schema


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_to_its_schema(case, fuzzed_url):
    case.call_and_validate(base_url=fuzzed_url, headers={"X-API-Key": API_KEY}, timeout=60)
