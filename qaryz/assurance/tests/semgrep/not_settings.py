# ruff: noqa – deliberately bad code: the fixtures of the semgrep rules (README.md beside it)
# DEBUG = True outside a settings module is just a name (the rule's paths filter).
# ok: django-debug-true
DEBUG = True
