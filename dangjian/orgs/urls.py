from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("new/", views.org_create, name="create"),
    path("pick/", views.pick, name="pick"),
    path("<int:pk>/", views.org_detail, name="detail"),
    path("<int:pk>/edit/", views.org_edit, name="edit"),
    path("<int:pk>/move/", views.org_move, name="move"),
    path("<int:pk>/upgrade/", views.org_upgrade, name="upgrade"),
    path("<int:pk>/dissolve/", views.org_dissolve, name="dissolve"),
    path("<int:pk>/posts/new/", views.post_add, name="post_add"),
    path("posts/<int:pk>/end/", views.post_end, name="post_end"),
]
