"""The OpenAPI document and the documentation page: complete, offline (no CDN), no inline script."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from dangjian.orgs.models import Role
from tests.factories import make_user
from tests.test_api_permissions import call, token_for

pytestmark = pytest.mark.django_db


def test_openapi_document_is_served_to_a_token_or_a_logged_in_user(client, tree):
    user = make_user("doc_user", Role.VIEWER, tree["school_a"])
    assert client.get("/api/openapi.json").status_code == 302
    assert call(client, "get", "/openapi.json", "dj_bad_token").status_code == 401
    by_token = call(client, "get", "/openapi.json", token_for(user))
    assert by_token.status_code == 200
    client.force_login(user)
    schema = client.get("/api/openapi.json").json()
    assert schema == by_token.json()
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    for path in ("/api/orgs", "/api/people/{person_id}/unmask", "/api/findings", "/api/me"):
        assert path in schema["paths"]
    people = schema["paths"]["/api/people"]
    assert {"200", "401", "403"} <= set(people["get"]["responses"])
    assert "201" in people["post"]["responses"] and "422" in people["post"]["responses"]


def test_the_served_document_has_no_duplicate_keys(client, tree):
    """Python's json reader keeps the last of two equal keys, but Swagger UI parses the document with js-yaml, which
    refuses it ("duplicated mapping key") and draws nothing — e.g. a response declared as both 200 and "200"."""
    import json

    duplicates = []

    def pairs(items):
        keys = [key for key, _ in items]
        duplicates.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(items)

    client.force_login(make_user("doc_dup", Role.VIEWER, tree["school_a"]))
    document = json.loads(client.get("/api/openapi.json").content, object_pairs_hook=pairs)
    assert not duplicates, duplicates
    download = document["paths"]["/api/pipeline/attachments/{attachment_id}"]["get"]["responses"]["200"]
    assert "application/octet-stream" in download["content"]


def test_docs_page_loads_vendored_swagger_without_cdn_or_inline_script(client, tree):
    client.force_login(make_user("doc_user2", Role.VIEWER, tree["school_a"]))
    response = client.get("/api/docs")
    html = response.content.decode()
    assert response.status_code == 200
    assert "cdn" not in html.lower() and "https://" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        relative = src.removeprefix(settings.STATIC_URL)
        candidates = [Path(settings.BASE_DIR) / "static" / relative,
                      Path(settings.BASE_DIR) / "dangjian" / "api" / "static" / relative]
        assert any(c.exists() for c in candidates), src


def test_docs_init_script_turns_off_the_public_validator():
    script = (Path(settings.BASE_DIR) / "dangjian/api/static/api/swagger-init.js").read_text()
    assert "validatorUrl: null" in script


def test_vendored_swagger_version_is_recorded():
    versions = (Path(settings.BASE_DIR) / "static/vendor/VERSIONS.md").read_text()
    assert re.search(r"\| swagger-ui-dist \| 5\.\d+\.\d+ \|", versions)


def test_api_root_leads_to_the_docs(client):
    response = client.get("/api/")
    assert response.status_code == 302 and response["Location"] == "/api/docs"


def _models_of_operations():
    """Every pydantic model an operation takes or returns."""
    from pydantic import BaseModel

    from dangjian.api.main import api

    api.get_openapi_schema()   # mounts every router
    found = set()
    for _, router in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                for model in [*getattr(operation, "models", []),
                              *(getattr(operation, "response_models", None) or {}).values()]:
                    for candidate in (model, *getattr(model, "__pydantic_generic_metadata__", {}).get("args", ())):
                        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                            found.add(candidate)
    return found


NINJA_WRAPPERS = {"BodyParams", "PathParams", "QueryParams", "NinjaResponseSchema", "FormParams", "FileParams"}


def test_no_two_schemas_share_a_component_name():
    """The document names each schema (and each enum) once: two different classes of the same name (a `Kind` enum
    in every app, a `FileOut` in two) would silently replace each other, and the docs would show wrong fields."""
    named = {}
    clashes = []
    for model in _models_of_operations():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        definitions = dict(schema.get("$defs", {}))
        if model.__name__ not in NINJA_WRAPPERS:   # per-operation wrappers: not components by their own name
            definitions[model.__name__] = {k: v for k, v in schema.items() if k != "$defs"}
        for name, definition in definitions.items():
            if name in named and named[name] != definition:
                clashes.append(name)
            named.setdefault(name, definition)
    assert not clashes, sorted(set(clashes))
