from django.urls import path

from . import views

app_name = "pipeline"
urlpatterns = [
    path("", views.board, name="board"),
    path("double/", views.double, name="double"),
    path("templates/", views.templates, name="templates"),
    path("templates/<slug:kind>/upload/", views.template_upload, name="template_upload"),
    path("templates/<slug:kind>/revert/", views.template_revert, name="template_revert"),
    path("templates/<slug:kind>/download/", views.template_download, name="template_download"),
    path("open/<int:person_pk>/", views.file_open, name="file_open"),
    path("<int:pk>/", views.file_detail, name="file"),
    path("<int:pk>/steps/", views.step_record, name="step_record"),
    path("<int:pk>/extend/", views.file_extend, name="file_extend"),
    path("<int:pk>/cancel/", views.file_cancel, name="file_cancel"),
    path("<int:pk>/withdraw/", views.file_withdraw, name="file_withdraw"),
    path("<int:pk>/documents/<slug:kind>/", views.document, name="document"),
    path("<int:pk>/documents.zip", views.file_zip, name="file_zip"),
    path("<int:pk>/steps/<int:step_pk>/attachments/", views.step_attachment_add, name="step_attachment_add"),
    path("attachments/<int:pk>/", views.step_attachment_download, name="step_attachment_download"),
    path("attachments/<int:pk>/delete/", views.step_attachment_delete, name="step_attachment_delete"),
]
