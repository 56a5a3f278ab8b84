import pytest

from dangjian.core import crypto


@pytest.fixture(autouse=True)
def _field_key(settings, tmp_path_factory):
    """Each test session uses a throwaway field-encryption key."""
    settings.FIELD_ENCRYPTION_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    crypto.reset_keys()
    yield
    crypto.reset_keys()


@pytest.fixture
def tree(db):
    from tests.factories import make_tree

    return make_tree()


@pytest.fixture
def tokens(tree):
    """API tokens: a secretary ("writer") and a viewer of school_a, a secretary of school_b ("outsider"). Test
    modules that need other accounts define their own `tokens`."""
    from dangjian.orgs.models import Role
    from tests.factories import make_user
    from tests.test_api_permissions import token_for

    return {name: token_for(make_user(f"api_{name}", role, tree[org])) for name, role, org in [
        ("writer", Role.SECRETARY, "school_a"), ("viewer", Role.VIEWER, "school_a"),
        ("outsider", Role.SECRETARY, "school_b")]}
