from django.urls import path

from . import views

app_name = "tasks"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.task_new, name="task_new"),
    path("<int:pk>/", views.task_detail, name="task_detail"),
    path("<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("<int:pk>/withdraw/", views.task_withdraw, name="task_withdraw"),
    path("<int:pk>/file/", views.task_file, name="task_file"),
    path("receipt/<int:pk>/answer/", views.receipt_answer, name="receipt_answer"),
    path("receipt-file/<int:pk>/", views.receipt_file, name="receipt_file"),
    path("pledges/", views.pledges, name="pledges"),
    path("pledges/new/", views.pledge_new, name="pledge_new"),
    path("pledges/<int:pk>/edit/", views.pledge_edit, name="pledge_edit"),
    path("pledges/<int:pk>/delete/", views.pledge_delete, name="pledge_delete"),
    path("pledges/<int:pk>/file/", views.pledge_file, name="pledge_file"),
    path("instructors/", views.instructors, name="instructors"),
    path("instructors/new/", views.instructor_new, name="instructor_new"),
    path("instructors/<int:pk>/edit/", views.instructor_edit, name="instructor_edit"),
    path("instructors/<int:pk>/delete/", views.instructor_delete, name="instructor_delete"),
]
