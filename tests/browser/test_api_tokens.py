"""The 接口令牌 page and the API documentation page in a real browser (no CSP violation, offline)."""

import pytest

from dangjian.api.models import ApiToken
from dangjian.orgs.models import Role
from tests.factories import PASSWORD, make_tree, make_user

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def secretary():
    tree = make_tree()
    return make_user("ui_tok_sec", Role.SECRETARY, tree["school_a"])


def _create_token(page, name):
    page.goto(page.base + "/accounts/tokens/")
    page.fill("#id_name", name)
    page.select_option("#id_expires_days", "30")
    with page.expect_navigation():
        page.click("main button[type=submit]:has-text('创建令牌')")
    return page.input_value("#token-value")


def test_user_creates_sees_once_and_revokes_a_token(page, secretary):
    login(page, "ui_tok_sec", PASSWORD)
    clear = _create_token(page, "教务系统同步")
    token = ApiToken.objects.get()
    assert clear.startswith(f"dj_{token.prefix}_")
    assert page.locator("text=离开本页后将无法再次查看此令牌").is_visible()
    shot(page, "api-token-created-1366")
    page.click("main a:has-text('返回令牌列表')")
    assert clear not in page.content()
    assert page.locator("td", has_text="教务系统同步").is_visible()
    shot(page, "api-tokens-1366")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("main button:has-text('撤销')")
    assert page.locator(".badge", has_text="已撤销").is_visible()
    token.refresh_from_db()
    assert token.is_revoked


def test_tokens_page_on_a_phone(phone, secretary):
    login(phone, "ui_tok_sec", PASSWORD)
    _create_token(phone, "手机上创建")
    shot(phone, "api-token-created-375")
    phone.goto(phone.base + "/accounts/tokens/")
    shot(phone, "api-tokens-375")
    assert phone.locator("#id_name").is_visible()


def test_docs_page_renders_every_operation_from_vendored_swagger(page, secretary):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    login(page, "ui_tok_sec", PASSWORD)
    page.goto(page.base + "/api/docs")
    from tests.test_api_permissions import operations

    expected = len(operations())
    # Swagger UI renders the operations progressively: wait until they are all there (or time out and compare)
    page.wait_for_function("n => document.querySelectorAll('.opblock').length >= n", arg=expected, timeout=30000)
    assert page.locator(".opblock").count() == expected
    assert page.locator(".info .title", has_text="学校党建工作平台").is_visible()
    assert all(url.startswith(page.base) for url in requests), [u for u in requests if not u.startswith(page.base)]
    shot(page, "api-docs-1366")
