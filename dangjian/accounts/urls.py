from django.urls import path

from . import admin_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("users/", admin_views.user_list, name="users"),
    path("users/new/", admin_views.user_create, name="user_create"),
    path("users/<int:pk>/", admin_views.user_detail, name="user_detail"),
    # Security administrator actions (POST only).
    path("users/unlock-ip/", admin_views.unlock_ip, name="unlock_ip"),
    path("users/<int:pk>/edit/", admin_views.user_edit, name="user_edit"),
    path("users/<int:pk>/roles/grant/", admin_views.user_role_grant, name="user_role_grant"),
    path("users/<int:pk>/roles/<int:assignment_pk>/revoke/", admin_views.user_role_revoke, name="user_role_revoke"),
    path("users/<int:pk>/admin-role/", admin_views.user_admin_role, name="user_admin_role"),
    path("users/<int:pk>/active/", admin_views.user_set_active, name="user_set_active"),
    path("users/<int:pk>/password/reset/", admin_views.user_password_reset, name="user_password_reset"),
    path("users/<int:pk>/unlock/", admin_views.user_unlock, name="user_unlock"),
    path("users/<int:pk>/person/link/", admin_views.user_link_person, name="user_link_person"),
    path("users/<int:pk>/person/unlink/", admin_views.user_unlink_person, name="user_unlink_person"),
]
