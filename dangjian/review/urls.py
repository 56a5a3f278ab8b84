from django.urls import path

from . import views

app_name = "review"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.round_create, name="round_create"),
    path("staff/", views.staff, name="staff"),
    path("<int:pk>/", views.round_detail, name="round_detail"),
    path("<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("<int:pk>/delete/", views.round_delete, name="round_delete"),
    path("<int:pk>/advance/", views.round_advance, name="round_advance"),
    path("<int:pk>/tally/", views.tally, name="tally"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/results.xlsx", views.results_export, name="results_export"),
    path("<int:pk>/codes/", views.staff_codes, name="staff_codes"),
    path("<int:pk>/mine/", views.mine, name="mine"),
    path("<int:pk>/mine/self-review/", views.self_review, name="self_review"),
    path("<int:pk>/mine/ballot/", views.ballot, name="ballot"),
    path("subject/<int:pk>/exempt/", views.subject_exempt, name="subject_exempt"),
    path("subject/<int:pk>/follow-up/", views.follow_up, name="follow_up"),
    path("subject/<int:pk>/follow-up/delete/", views.follow_up_delete, name="follow_up_delete"),
]
