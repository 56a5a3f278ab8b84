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


# Swagger UI (5.x) virtualises the operation list once tags + operations reach 150 (`components_operations` in
# swagger-ui-bundle.js: `L.length>=150`): only the entries near the viewport are in the DOM, the others appear as
# the page scrolls. Counting `.opblock` elements at the top of the page therefore sees one screenful, not a broken
# document. The test scrolls through the whole list and collects every operation that was rendered on the way.
COLLECT = """() => [...document.querySelectorAll('.opblock[id^="operations-"]')].map(e => e.id)"""


def _documented_blocks():
    """The DOM id Swagger UI gives each operation: operations-<first tag>-<operationId>."""
    from dangjian.api.main import api

    return {f"operations-{op['tags'][0]}-{op['operationId']}"
            for ops in api.get_openapi_schema()["paths"].values() for op in ops.values()}


def _scroll_and_collect(page):
    seen = set(page.evaluate(COLLECT))
    for _ in range(2000):
        at_bottom = page.evaluate("window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2")
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(30)
        seen |= set(page.evaluate(COLLECT))
        if at_bottom:
            break
    return seen


def test_docs_page_renders_every_operation_from_vendored_swagger(page, secretary):
    requests = []
    errors = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, "ui_tok_sec", PASSWORD)
    page.goto(page.base + "/api/docs")
    expected = _documented_blocks()
    page.wait_for_selector(".opblock")
    assert page.locator(".info .title", has_text="学校党建工作平台").is_visible()
    shot(page, "api-docs-1366")
    seen = _scroll_and_collect(page)
    assert not errors, errors
    assert not (expected - seen), sorted(expected - seen)   # every operation was rendered, in its tag
    assert not (seen - expected), sorted(seen - expected)
    assert page.locator("text=Could not render").count() == 0
    assert all(url.startswith(page.base) for url in requests), [u for u in requests if not u.startswith(page.base)]


def test_docs_deep_link_opens_an_operation_beyond_the_first_screen(page, secretary):
    """A link to an operation far down the (virtualised) list scrolls to it and expands it."""
    from dangjian.api.main import api

    document = api.get_openapi_schema()
    last_path, last_ops = list(document["paths"].items())[-1]
    op = next(iter(last_ops.values()))
    login(page, "ui_tok_sec", PASSWORD)
    page.goto(page.base + f"/api/docs#/{op['tags'][0]}/{op['operationId']}")
    block = page.locator(f"[id='operations-{op['tags'][0]}-{op['operationId']}']")
    block.wait_for(timeout=30000)
    assert block.locator(".opblock-summary-path", has_text=last_path.split("/")[2]).is_visible()
