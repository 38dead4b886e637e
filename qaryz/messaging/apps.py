from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "qaryz.messaging"
    label = "messaging"
    verbose_name = "Messaging"
