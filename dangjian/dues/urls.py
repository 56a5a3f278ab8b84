from django.urls import path

from . import payroll_views, views

app_name = "dues"
urlpatterns = [
    path("", views.index, name="home"),
    path("generate/", views.generate, name="generate"),
    path("pay-bulk/", views.pay_bulk, name="pay_bulk"),
    path("arrears/", views.arrears, name="arrears"),
    path("publication/", views.publication, name="publication"),
    path("publication.xlsx", views.publication_xlsx, name="publication_xlsx"),
    path("person/<int:pk>/", views.person, name="person"),
    path("person/<int:pk>/base/", views.base_set, name="base_set"),
    path("person/<int:pk>/pay/", views.pay, name="pay"),
    path("person/<int:pk>/voluntary/", views.voluntary, name="voluntary"),
    path("bill/<int:pk>/adjust/", views.adjust, name="adjust"),
    path("payroll/", payroll_views.upload, name="payroll"),
    path("payroll/<int:pk>/", payroll_views.mapping, name="payroll_map"),
    path("payroll/<int:pk>/errors.xlsx", payroll_views.errors, name="payroll_errors"),
]
