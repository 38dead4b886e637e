# ruff: noqa – deliberately bad code: the fixtures of the semgrep rules (README.md beside it)
# A settings module for the DEBUG rule; never imported.
import os

# ruleid: django-debug-true
DEBUG = True
# ok: django-debug-true
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
