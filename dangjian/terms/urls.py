from django.urls import path

from . import views

app_name = "terms"
urlpatterns = [
    path("", views.home, name="home"),
    path("org/<int:pk>/", views.org, name="org"),
    path("org/<int:pk>/new/", views.election_new, name="election_new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/posts/", views.posts, name="posts"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/extension/", views.extension_request, name="extension_request"),
    path("extension/<int:pk>/approve/", views.extension_approve, name="extension_approve"),
]
