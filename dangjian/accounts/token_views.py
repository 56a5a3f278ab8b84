"""接口令牌: each user creates (shown once), lists and revokes his or her own API tokens.

Mounted at /accounts/tokens/ from dangjian/urls.py (namespace "tokens")."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from dangjian.api import services
from dangjian.api.models import ApiToken
from dangjian.core.forms import StyledFormMixin, add_service_errors

EXPIRY_CHOICES = [("30", "30天"), ("90", "90天"), ("180", "180天"), ("365", "1年"), ("", "长期有效（不建议）")]


class TokenForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label="名称（用途）", max_length=60, help_text="如：教务系统同步、统计脚本")
    expires_days = forms.ChoiceField(label="有效期", choices=EXPIRY_CHOICES, initial="90", required=False)

    def clean_expires_days(self):
        value = self.cleaned_data["expires_days"]
        return int(value) if value else None


def _page(request, form, status=200):
    tokens = ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at", "-id")
    return render(request, "accounts/tokens.html", {"form": form, "tokens": tokens}, status=status)


@login_required
@require_GET
def token_list(request):
    return _page(request, TokenForm())


@login_required
@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, clear = services.token_create(actor=request.user, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            # Rendered, not redirected: the clear token exists only in this response (no-store).
            return render(request, "accounts/tokens_created.html", {"token": token, "clear": clear})
    return _page(request, form, status=400)


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    try:
        services.token_revoke(actor=request.user, token=token)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已撤销令牌“{token.name}”，使用它的程序将立即无法访问。")
    return redirect("tokens:list")


app_name = "tokens"
urlpatterns = [
    path("", token_list, name="list"),
    path("new/", token_create, name="create"),
    path("<int:pk>/revoke/", token_revoke, name="revoke"),
]
