from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "dangjian.tasks"
    label = "tasks"
    verbose_name = "任务清单"
