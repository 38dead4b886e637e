"""Files and threads for the correspondence tests."""

from __future__ import annotations

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
GIF = b"GIF89a" + b"\x00" * 40
EXE = b"MZ\x90\x00" + b"\x00" * 40


def letter(client, **overrides):  # type: ignore[no-untyped-def]
    from qaryz.correspondence import services

    fields = {"subject": "Вопрос о платеже", "topic": "repayment", "body": "Когда следующий платёж?"}
    fields.update(overrides)
    return services.open_thread(client, **fields)
