from django.urls import path

from . import views

app_name = "workdays"

urlpatterns = [
    path("", views.home, name="home"),
    path("import/", views.holiday_import, name="import"),
    path("<int:pk>/delete/", views.holiday_delete, name="delete"),
]
