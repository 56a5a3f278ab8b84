from django.urls import path

from . import views

app_name = "life"
urlpatterns = [
    path("", views.meetings, name="meetings"),
    path("plan/", views.meeting_new, name="meeting_plan"),
    path("record/", views.meeting_new, {"held": True}, name="meeting_record_new"),
    path("<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("<int:pk>/record/", views.meeting_record, name="meeting_record"),
    path("<int:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("<int:pk>/attendance/", views.attendance, name="attendance"),
    path("<int:pk>/votes/add/", views.vote_add, name="vote_add"),
    path("<int:pk>/attachments/add/", views.attachment_add, name="attachment_add"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
    path("signin/", views.signin_code, name="signin_code"),
    path("signin/<str:token>/", views.signin, name="signin"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar.ics", views.calendar_ics, name="calendar_ics"),
    path("study/", views.study_tasks, name="study_tasks"),
    path("study/new/", views.study_task_create, name="study_task_create"),
    path("study/<int:pk>/", views.study_task_detail, name="study_task_detail"),
    path("study/<int:pk>/edit/", views.study_task_edit, name="study_task_edit"),
    path("study/<int:pk>/delete/", views.study_task_delete, name="study_task_delete"),
    path("study/log/", views.study_log_add, name="study_log_add"),
    path("study/log/<int:pk>/file/", views.study_log_file, name="study_log_file"),
    path("study/mine/", views.study_mine, name="study_mine"),
]
