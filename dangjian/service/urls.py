from django.urls import path

from . import views

app_name = "service"


def _record_urls(key, prefix, list_name):
    kw = {"key": key}
    return [
        path(f"{prefix}", views.list_view, kw, name=list_name),
        path(f"{prefix}new/", views.new_view, kw, name=f"{key}_new"),
        path(f"{prefix}<int:pk>/", views.detail_view, kw, name=f"{key}_detail"),
        path(f"{prefix}<int:pk>/edit/", views.edit_view, kw, name=f"{key}_edit"),
        path(f"{prefix}<int:pk>/delete/", views.delete_view, kw, name=f"{key}_delete"),
    ]


urlpatterns = [
    *_record_urls("activity", "", "home"),
    path("<int:pk>/photos/", views.photo_add, name="photo_add"),
    path("photos/<int:pk>/", views.photo_download, name="photo_download"),
    path("photos/<int:pk>/delete/", views.photo_delete, name="photo_delete"),
    *_record_urls("partnership", "partnerships/", "partnerships"),
    *_record_urls("visit", "visits/", "visits"),
    *_record_urls("pair", "pairs/", "pairs"),
    *_record_urls("care", "care/", "care"),
    *_record_urls("hardship", "hardship/", "hardship"),
    path("summary/", views.summary, name="summary"),
]
