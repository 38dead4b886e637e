from typing import TextIO

from qaryz.core.models import MfoProfile

DEMO_PROFILE = {
    "short_name": "Qaryz Demo",
    "legal_name": "ТОО «Микрофинансовая организация «Qaryz Demo»",
    "legal_name_kk": "«Qaryz Demo» микроқаржы ұйымы» ЖШС",
    "bin": "990140004654",
    "first_head_full_name": "Ахметова Айгерим Серикқызы",
    "legal_address": "Республика Казахстан, г. Алматы, пр. Абая, 10, офис 5",
    "legal_address_kk": "Қазақстан Республикасы, Алматы қ., Абай даңғылы, 10, 5-кеңсе",
    "actual_address": "Республика Казахстан, г. Алматы, ул. Панфилова, 98, 3 этаж",
    "actual_address_kk": "Қазақстан Республикасы, Алматы қ., Панфилов к-сі, 98, 3-қабат",
    "phones": "+7 727 300 00 00, 7700 (бесплатно с мобильных)",
    "phones_kk": "+7 727 300 00 00, 7700 (ұялы телефоннан тегін)",
    "fax": "+7 727 300 00 01",
    "email": "info@qaryz.kz",
    "website": "qaryz.kz",
    "other_contacts": "Telegram: @qaryz_support",
    "licence": "Регистрационный номер МФО 02.21.0001.М (демо)",
    "licence_kk": "МҚҰ тіркеу нөмірі 02.21.0001.М (демо)",
    "bank_name": "АО «Демо Банк» (демо)",
    "bank_name_kk": "«Демо Банк» АҚ (демо)",
    "bank_bic": "DEMOKZKA",
    "bank_account": "KZ86125KZT5004100100",
    "primary_color": "#0b6e4f",
    "accent_color": "#f2a900",
}


def load_demo(out: TextIO) -> None:
    if not MfoProfile.objects.exists():
        MfoProfile.objects.create(**DEMO_PROFILE)
        out.write("MFO profile: created\n")
    else:  # a demo loaded before the Kazakh variants existed gets them (only where blank)
        kazakh = {key: value for key, value in DEMO_PROFILE.items() if key.endswith("_kk")}
        for profile in MfoProfile.objects.filter(bin=DEMO_PROFILE["bin"]):
            missing = [key for key in kazakh if not getattr(profile, key)]
            if missing:
                for key in missing:
                    setattr(profile, key, kazakh[key])
                profile.save()  # audited as a configuration change (records.auditing)
                out.write("MFO profile: Kazakh details added\n")
