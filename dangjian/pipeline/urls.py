from django.urls import path

from . import views

app_name = "pipeline"
urlpatterns = [
    path("", views.board, name="board"),
    path("open/<int:person_pk>/", views.file_open, name="file_open"),
    path("<int:pk>/", views.file_detail, name="file"),
    path("<int:pk>/steps/", views.step_record, name="step_record"),
    path("<int:pk>/extend/", views.file_extend, name="file_extend"),
    path("<int:pk>/cancel/", views.file_cancel, name="file_cancel"),
]
