"""Schemathesis over the project's own OpenAPI schema (/api/schema/): every operation, reading and
writing, with valid and invalid input, as nobody, a resident, the command centre and a grid officer,
through the real WSGI application. The pass mark is the one a user notices: no server error (5xx) – bad
input answers 4xx with a message.

Bounded for CI and repeatable: FUZZ_MAX_EXAMPLES generated cases per operation and role (25 on
PostgreSQL, where CI's second run fuzzes for real – it is also the database that refuses what SQLite
takes, such as NUL characters; 2 on SQLite, a smoke run) plus the schema's own examples and, on
PostgreSQL, Schemathesis' coverage cases, from a fixed seed (FUZZ_SEED); no example database is
written. README, "Run the tests", says how to fuzz harder."""
import os

import schemathesis
from django.conf import settings
from django.db import transaction

from jianhua.wsgi import application

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", 25 if ON_POSTGRESQL else 2))
SEED = int(os.environ.get("FUZZ_SEED", 12))
# Schemathesis' phases: the schema's examples, random fuzzing (FUZZ_MAX_EXAMPLES cases) and "coverage":
# about 55 deterministic edge cases per operation (boundaries, wrong types, missing fields), cheap but not
# bounded by FUZZ_MAX_EXAMPLES, so left out of the SQLite smoke run.
DEFAULT_PHASES = "examples,fuzzing,coverage" if ON_POSTGRESQL else "examples,fuzzing"
PHASES = set(os.environ.get("FUZZ_PHASES", DEFAULT_PHASES).split(","))

CONFIG = schemathesis.Config.from_dict({
    "seed": SEED,
    "suppress-health-check": ["all"],
    "generation": {
        "mode": "all",  # valid and invalid input alike
        "max-examples": MAX_EXAMPLES,
        "database": "none",  # nothing written into the working tree
        "with-security-parameters": False,  # the role's token is the only credential sent
    },
    # Only a server error fails the test: our error shapes are not all in the schema (yet).
    "checks": {"enabled": False, "not_a_server_error": {"enabled": True}},
    "phases": {name: {"enabled": name in PHASES} for name in ("examples", "fuzzing", "coverage", "stateful")},
})

# Path parameters that name an object by id, and which kind of the world's objects they name.
ID_KINDS = [("/issues/{id}", "issue"), ("/issues/{issue_id}", "issue"), ("/supervision/items/", "supervision"),
            ("/supervision/meetings/", "meeting"), ("/accountability/", "accountability"),
            ("/notifications/", "notification")]
CODE_KINDS = [("/grids/", "grid"), ("/communities/", "community"), ("/streets/", "street"),
              ("/departments/", "department"), ("/categories/", "category")]


def aim_at_real_objects(case, world):
    """Half the generated ids and codes become those of real objects of the kind the path names (the
    generated value decides which, so a run stays repeatable): the fuzzer then also reaches the code
    behind the lookup – permissions, state checks, the services – not only the 404."""
    params = case.path_parameters or {}
    for name in ("id", "issue_id"):
        value = params.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0 and not value % 2:
            kind = next((kind for prefix, kind in ID_KINDS if prefix in case.path), None)
            if kind:
                ids = world["ids"][kind]
                params[name] = ids[value // 2 % len(ids)]
    value = params.get("code")
    if isinstance(value, str) and not len(value) % 2:
        kind = next((kind for prefix, kind in CODE_KINDS if prefix in case.path), None)
        if kind:
            params["code"] = world["codes"][kind]
    unit = params.get("unit")  # a problem list: /problem-lists/{tier}/{unit}/
    if isinstance(unit, str) and not len(unit) % 2:
        params["tier"] = ("community", "street", "district")[len(unit) // 2 % 3]
        params["unit"] = world["codes"][params["tier"]]


schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)
if os.environ.get("FUZZ_OPERATIONS"):  # a regular expression on "METHOD /path", to go after one failure
    schema = schema.include(name_regex=os.environ["FUZZ_OPERATIONS"])


@schema.parametrize()
def test_no_server_error(case, role, credentials, world, fuzz_tally, wsgi_in_test_transaction):
    aim_at_real_objects(case, world)
    # Each case in a savepoint rolled back after it: one case's whistle, lockout or erasure does not
    # change the world the next one sees, and a case that breaks the transaction breaks only itself.
    with transaction.atomic():
        response = case.call(headers=credentials)
        transaction.set_rollback(True)
    fuzz_tally.record(role, case, response)
    assert response.status_code < 500, f"{case.method} {case.formatted_path} as {role}: {response.status_code}"
    case.validate_response(response, headers=credentials)  # schemathesis' not_a_server_error, with the case to replay
