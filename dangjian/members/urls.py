from django.urls import path

from . import import_views, views

app_name = "members"
urlpatterns = [
    path("", views.roster, name="roster"),
    path("export.xlsx", import_views.export_roster, name="export"),
    path("export-national.xlsx", import_views.export_national, name="export_national"),
    path("new/", views.person_create, name="create"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/status/", views.person_status, name="status"),
    path("<int:pk>/move/", views.person_move, name="move"),
    path("<int:pk>/unmask/", views.person_unmask, name="unmask"),
    path("import/", import_views.import_start, name="import"),
    path("import/template.xlsx", import_views.import_template, name="import_template"),
    path("import/<int:pk>/", import_views.import_job, name="import_job"),
    path("import/<int:pk>/errors.xlsx", import_views.import_errors, name="import_errors"),
]
