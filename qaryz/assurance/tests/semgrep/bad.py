# ruff: noqa – deliberately bad code: the fixtures of the semgrep rules (README.md beside it)
# Known-bad and known-good snippets for the Python rules; never imported.
import hashlib
import json
import marshal
import os
import pickle
import subprocess
import tempfile

import httpx
import requests
import yaml
from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt


def markup(name, rows):
    # ruleid: django-mark-safe-non-literal
    a = mark_safe(name)
    # ruleid: django-mark-safe-non-literal
    b = SafeString("<b>" + name + "</b>")
    # ok: django-mark-safe-non-literal
    c = mark_safe("<br>")
    # ruleid: django-format-html-non-literal-format
    d = format_html(f"<b>{name}</b>")
    # ruleid: django-format-html-non-literal-format
    e = format_html("<b>%s</b>" % name)
    # ruleid: django-format-html-non-literal-format
    f = format_html_join("\n", "<li>{}</li>".format(name), rows)
    # ok: django-format-html-non-literal-format
    g = format_html("<b>{}</b>", name)
    return a, b, c, d, e, f, g


def sql(model, name, table):
    # ruleid: django-raw-sql-from-strings
    model.objects.raw(f"SELECT * FROM t WHERE name = '{name}'")
    query = "SELECT * FROM t WHERE name = '%s'" % name
    # ruleid: django-raw-sql-from-strings
    model.objects.raw(query)
    # ruleid: django-raw-sql-from-strings
    model.objects.extra(where=["name = '%s'" % name])
    # ruleid: django-raw-sql-from-strings
    RawSQL("SELECT * FROM " + table, [])
    # ok: django-raw-sql-from-strings
    model.objects.raw("SELECT * FROM t WHERE name = %s", [name])
    # ok: django-raw-sql-from-strings
    return RawSQL("SELECT %s", [name])


def search(request, kind):
    name = request.GET["name"]
    with connection.cursor() as cursor:
        # ruleid: sql-text-from-request-data
        cursor.execute(f"SELECT * FROM t WHERE name = '{name}'")
        # ruleid: sql-text-from-request-data
        cursor.execute("SELECT * FROM t WHERE kind = '%s'" % kind)
        query = "SELECT * FROM t WHERE body = '" + request.body.decode() + "'"
        # ruleid: sql-text-from-request-data
        cursor.execute(query)
        # ok: sql-text-from-request-data
        cursor.execute("SELECT * FROM t WHERE name = %s AND kind = %s", [name, kind])
        # ok: sql-text-from-request-data
        cursor.execute(f"SELECT * FROM t LIMIT {int(request.GET['n'])}")
        # ok: sql-text-from-request-data
        cursor.execute(f"SELECT * FROM {TABLE}")


def save(form):
    with connection.cursor() as cursor:
        # ruleid: sql-text-from-request-data
        cursor.execute("DELETE FROM t WHERE id = {}".format(form.cleaned_data["id"]))


TABLE = "t"


def commands(path):
    # ruleid: subprocess-shell
    subprocess.run(f"ls {path}", shell=True)
    # ruleid: subprocess-shell
    os.system("ls " + path)
    # ok: subprocess-shell
    subprocess.run(["ls", path], check=True)


def loads(data, text):
    # ruleid: unsafe-deserialisation
    pickle.loads(data)
    # ruleid: unsafe-deserialisation
    marshal.loads(data)
    # ok: unsafe-deserialisation
    json.loads(data)
    # ruleid: yaml-unsafe-load
    yaml.load(text)
    # ruleid: yaml-unsafe-load
    yaml.load(text, Loader=yaml.Loader)
    # ok: yaml-unsafe-load
    yaml.load(text, Loader=yaml.SafeLoader)
    # ok: yaml-unsafe-load
    return yaml.safe_load(text)


def code(text):
    # ruleid: eval-exec-non-literal
    eval(text)
    # ruleid: eval-exec-non-literal
    exec(text)
    # ok: eval-exec-non-literal
    return eval("1 + 1")


# ruleid: django-csrf-exempt
@csrf_exempt
def webhook(request):
    return None


# ruleid: django-clickjacking-exempt
@xframe_options_exempt
def framed(request):
    return None


# ok: django-csrf-exempt, django-clickjacking-exempt
def protected(request):
    return None


def tls(url, session, ctx):
    # ruleid: tls-verification-off
    requests.get(url, verify=False, timeout=5)
    # ruleid: tls-verification-off
    httpx.post(url, verify=False)
    # ruleid: tls-verification-off
    session.verify = False
    # ok: tls-verification-off
    requests.get(url, verify="/etc/ssl/certs/ca.pem", timeout=5)
    # ok: http-request-without-timeout
    requests.post(url, json={}, timeout=10)
    # ruleid: http-request-without-timeout
    return requests.post(url, json={})


def digests(data):
    # ruleid: weak-hash
    hashlib.md5(data)
    # ruleid: weak-hash
    hashlib.sha1(data)
    # ruleid: weak-hash
    hashlib.new("md5", data)
    # ok: weak-hash
    hashlib.md5(data, usedforsecurity=False)
    # ok: weak-hash
    return hashlib.sha256(data)


def temporary():
    # ruleid: tempfile-mktemp
    name = tempfile.mktemp()
    # ok: tempfile-mktemp
    handle, other = tempfile.mkstemp()
    return name, handle, other


def view(request):
    # ruleid: assert-as-access-check
    assert request.user.has_perm("loans.approve")
    # ruleid: assert-as-access-check
    assert request.user.is_staff
    # ok: assert-as-access-check
    assert isinstance(request, object)


def refusals(loan):
    from django.utils.translation import gettext as _
    from ninja.errors import HttpError

    # ruleid: api-refusal-not-translated
    a = HttpError(404, "not found")
    # ruleid: api-refusal-not-translated
    b = HttpError(422, "loan: " + loan.status)
    # ok: api-refusal-not-translated
    c = HttpError(422, "loan: " + _("Payments are accepted for an active loan only."))
    # ok: api-refusal-not-translated
    d = HttpError(404, _("Not found."))
    return a, b, c, d
