"""One JSON error shape for every API failure:

    {"detail": "中文说明", "errors": {"字段": ["中文信息", ...]}}

400 the request cannot be understood (unparseable JSON, a body that is not an object, a malformed
    query or path parameter); 401 no valid token; 403 inside the scope without the right;
404 outside the scope or unknown; 409 conflicts with an existing record (duplicate ID number,
unique constraint); 422 the fields break a rule (schema or service validation).
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

NON_FIELD = "__all__"

# Service messages that mean "this clashes with an existing record" (409, not 422). The services raise
# plain ValidationErrors; errors with one of CONFLICT_CODES are conflicts too (Django's unique checks).
CONFLICT_CODES = {"unique", "unique_together", "conflict", "duplicate"}

UNAUTHORIZED = "未提供有效的接口令牌（请求头 Authorization: Bearer <令牌>），或令牌已过期、已撤销。"


def error_response(status, detail, errors=None, headers=None):
    response = JsonResponse({"detail": detail, "errors": errors or {}}, status=status,
                            json_dumps_params={"ensure_ascii": False})
    for key, value in (headers or {}).items():
        response[key] = value
    return response


# --- schema validation (pydantic) → Chinese ------------------------------------------------

def _expected(ctx):
    """pydantic's "'a', 'b' or 'c'" as "a、b、c"."""
    expected = str((ctx or {}).get("expected", "")).replace("'", "")
    return "、".join(part.strip() for part in expected.replace(" or ", ", ").split(",") if part.strip())


def pydantic_message(error):
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "此项为必填项。"
    if kind in ("string_type", "string_sub_type"):
        return "应为文本。"
    if kind == "string_too_long":
        return f"不能超过{ctx.get('max_length')}个字符。"
    if kind == "string_too_short":
        return f"不能少于{ctx.get('min_length')}个字符。"
    if kind in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return "应为整数。"
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能小于{ctx.get('ge', ctx.get('gt'))}。"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于{ctx.get('le', ctx.get('lt'))}。"
    if kind in ("bool_type", "bool_parsing"):
        return "应为 true 或 false。"
    if kind.startswith("date") or kind.startswith("datetime"):
        return "日期格式应为 YYYY-MM-DD。"
    if kind in ("enum", "literal_error"):
        return f"取值无效，可选值：{_expected(ctx)}。"
    if kind == "extra_forbidden":
        return "不支持此字段。"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "格式不正确，应为 JSON 对象。"
    if kind == "value_error":
        return str(ctx.get("error") or error.get("msg", "")).removeprefix("Value error, ") or "取值无效。"
    if kind in ("none_required", "list_type", "float_type", "float_parsing"):
        return "类型不正确。"
    return "格式不正确。"


def _field_of(loc):
    """('body', 'payload', 'name') → 'name'; ('query', 'limit') → 'limit'; the whole body → ''."""
    loc = [str(part) for part in loc]
    if not loc:
        return ""
    if loc[0] == "body":
        loc = loc[2:]
    else:
        loc = loc[1:]
    return ".".join(loc)


def schema_errors(exc):
    errors = {}
    malformed = False
    for error in exc.errors:
        loc = error.get("loc") or ()
        field = _field_of(loc)
        if not field or (loc and loc[0] in ("query", "path", "header", "cookie")):
            malformed = True
        errors.setdefault(field or NON_FIELD, []).append(pydantic_message(error))
    return malformed, errors


def on_schema_error(request, exc):
    malformed, errors = schema_errors(exc)
    if malformed:
        return error_response(400, "请求格式不正确。", errors)
    return error_response(422, "提交的内容有误，请按提示修改。", errors)


# --- service validation (django) ---------------------------------------------------------

def django_errors(exc):
    """{field: [messages]} from a django ValidationError (non-field errors under "__all__")."""
    if hasattr(exc, "error_dict"):
        return {field: DjangoValidationError(errs).messages for field, errs in exc.error_dict.items()}
    return {NON_FIELD: exc.messages}


def _codes(exc):
    return {getattr(e, "code", None) for e in exc.error_list} if hasattr(exc, "error_list") else {
        getattr(e, "code", None) for errs in exc.error_dict.values() for e in errs}


def is_conflict(exc):
    return bool(_codes(exc) & CONFLICT_CODES)


def on_service_error(request, exc):
    errors = django_errors(exc)
    if is_conflict(exc):
        return error_response(409, "与已有记录冲突。", errors)
    first = next(iter(errors.get(NON_FIELD, [])), None)
    return error_response(422, first or "提交的内容有误，请按提示修改。", errors)


def on_integrity_error(request, exc):
    return error_response(409, "与已有记录冲突（重复或违反唯一性约束），未作任何修改。")


def on_auth_error(request, exc):
    return error_response(401, UNAUTHORIZED, headers={"WWW-Authenticate": 'Bearer realm="api"'})


def on_permission_denied(request, exc):
    return error_response(403, "您没有执行此操作的权限。")


def on_not_found(request, exc):
    return error_response(404, "未找到或无权访问。")


def on_http_error(request, exc):
    if exc.status_code == 400:
        return error_response(400, "请求体无法解析：请提交 UTF-8 编码的 JSON 对象。")
    if exc.status_code == 401:
        return on_auth_error(request, exc)
    if exc.status_code == 403:
        return on_permission_denied(request, exc)
    if exc.status_code == 404:
        return on_not_found(request, exc)
    return error_response(exc.status_code, str(exc))


def install(api):
    api.add_exception_handler(NinjaValidationError, on_schema_error)
    api.add_exception_handler(DjangoValidationError, on_service_error)
    api.add_exception_handler(IntegrityError, on_integrity_error)
    api.add_exception_handler(AuthenticationError, on_auth_error)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(Http404, on_not_found)


def not_found_view(request, *args, **kwargs):
    """Any /api/ path that names no operation: JSON 404, not the HTML page."""
    return error_response(404, "接口不存在。")
