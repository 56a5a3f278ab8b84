from django.urls import path

from . import views

app_name = "vanguard"
urlpatterns = [path("", views.home, name="home")]
for slug in views.KINDS:
    urlpatterns += [
        path(f"{slug}/", views.record_list, {"kind": slug}, name=slug),
        path(f"{slug}/new/", views.record_new, {"kind": slug}, name=f"{slug}_new"),
        path(f"{slug}/<int:pk>/edit/", views.record_edit, {"kind": slug}, name=f"{slug}_edit"),
        path(f"{slug}/<int:pk>/delete/", views.record_delete, {"kind": slug}, name=f"{slug}_delete"),
    ]
urlpatterns.append(path("honours/<int:pk>/certificate/", views.honour_certificate, name="honour_certificate"))
