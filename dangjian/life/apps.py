from django.apps import AppConfig


class LifeConfig(AppConfig):
    name = "dangjian.life"
    label = "life"
    verbose_name = "组织生活"
