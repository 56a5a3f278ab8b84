from django.apps import AppConfig


class VanguardConfig(AppConfig):
    name = "dangjian.vanguard"
    label = "vanguard"
    verbose_name = "先锋作用"
