from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "dangjian.pipeline"
    label = "pipeline"
    verbose_name = "发展党员"
