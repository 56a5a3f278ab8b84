from django.urls import path

from . import views

app_name = "transfers"

urlpatterns = [
    path("", views.home, name="home"),
    path("proposals/", views.proposals, name="proposals"),
    path("in/new/", views.transfer_in, name="transfer_in"),
    path("person/<int:pk>/out/", views.transfer_out, name="transfer_out"),
    path("person/<int:pk>/within/", views.transfer_within, name="transfer_within"),
    path("person/<int:pk>/decide/", views.decide, name="decide"),
    path("person/<int:pk>/lost-contact/", views.contact_loss, name="contact_loss"),
    path("person/<int:pk>/abroad-return/", views.abroad_return, name="abroad_return"),
    path("lost-contact/<int:pk>/found/", views.contact_found, name="contact_found"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/return/", views.return_, name="return"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/renew/", views.renew, name="renew"),
]
