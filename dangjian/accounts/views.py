from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from dangjian.core import audit

from . import services
from .forms import ChangePasswordForm, LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["expired"] = self.request.GET.get("expired") == "1"
        return context


def lockout_response(request, original_response=None, credentials=None):
    """Same words whether or not the account exists."""
    audit.record(event=audit.Event.LOCKED_OUT, username=str((credentials or {}).get("username", ""))[:150],
                 outcome="failure", request=request)
    form = LoginForm(request)
    return render(request, "accounts/login.html",
                  {"form": form, "locked": True}, status=429)


@require_http_methods(["POST"])
def logout_view(request):
    return auth_views.LogoutView.as_view()(request)


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = ChangePasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_change_password(actor=request.user, user=request.user,
                                             new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, "密码已修改。")
        return redirect("core:home")
    return render(request, "accounts/password_change.html", {"form": form})
