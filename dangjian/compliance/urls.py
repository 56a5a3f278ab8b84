from django.urls import path

from . import views

app_name = "compliance"
urlpatterns = [
    path("", views.rules, name="rules"),
    path("matrix/", views.matrix, name="matrix"),
    path("findings/", views.findings, name="findings"),
    path("<str:rule_id>/orgs/<int:org_id>/", views.override_edit, name="override_edit"),
    path("overrides/<int:pk>/remove/", views.override_remove, name="override_remove"),
]
