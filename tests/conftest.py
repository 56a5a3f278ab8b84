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
