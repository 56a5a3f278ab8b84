from django.urls import path

from . import views

app_name = "integrity"

urlpatterns = [
    path("", views.home, name="home"),
    path("<slug:kind>/new/", views.create, name="create"),
    path("<slug:kind>/<int:pk>/", views.detail, name="detail"),
    path("<slug:kind>/<int:pk>/edit/", views.edit, name="edit"),
    path("<slug:kind>/<int:pk>/delete/", views.delete, name="delete"),
]
