# DEBUG = True outside a settings module is just a name (the rule's paths filter).
# ok: django-debug-true
DEBUG = True
