from django.urls import path

from . import views

app_name = "points"

urlpatterns = [
    path("", views.home, name="home"),
    path("mine/", views.mine, name="mine"),
    path("person/<int:pk>/", views.person, name="person"),
    path("rules/", views.rules, name="rules"),
    path("rules/<int:pk>/edit/", views.rules_edit, name="rules_edit"),
    path("rules/<int:pk>/remove/", views.rules_remove, name="rules_remove"),
]
