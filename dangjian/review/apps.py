from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "dangjian.review"
    label = "review"
    verbose_name = "民主评议"
