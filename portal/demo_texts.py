"""Demo translations of the resident's messages, line for line as the Dutch built-in texts.

Written for the demonstration; a municipality has its own texts checked by a translator
before residents receive them. Each line keeps its placeholder, so that a line whose value
is missing (no interpreter, no phone number) is left out in both languages alike.
"""

from __future__ import annotations

from .models import MessageKind

_AR_TAIL = "الهاتف: {telefoon}\nساعات العمل: {openingsuren}"
_UK_TAIL = "Телефон: {telefoon}\nГодини роботи: {openingsuren}"
_TI_TAIL = "ተሌፎን፦ {telefoon}\nሰዓታት ስራሕ፦ {openingsuren}"
_EN_TAIL = "Phone: {telefoon}\nOpening hours: {openingsuren}"

DEMO_TEXTS: dict[str, dict[MessageKind, str]] = {
    "ar": {
        MessageKind.SLIP: "خلال الأسابيع القادمة سيتصل بك مرشد، بلغتك إن أمكن. ستنظران معًا في "
        "محادثة فيما تحتاجه: تعلم اللغة الهولندية، العمل، المدرسة ورعاية الأطفال، السكن، أوقات "
        "الفراغ. المحادثة مجانية. أحضر هذه الورقة معك.\n"
        "أسئلة؟ أخبرنا واذكر رقمك {nummer}.\n" + _AR_TAIL,
        MessageKind.SLIP_APPOINTMENT: "لديك موعد يوم {datum} الساعة {uur}.\n"
        "المكان: {plaats}\n"
        "ستتحدث مع {toeleider}.\n"
        "سيحضر مترجم: {tolk}.\n"
        "في المحادثة تنظران معًا فيما تحتاجه: تعلم اللغة الهولندية، العمل، المدرسة ورعاية "
        "الأطفال، السكن، أوقات الفراغ. المحادثة مجانية.\n"
        "لا تستطيع الحضور في هذا الموعد؟ أخبرنا واذكر رقمك {nummer}.\n" + _AR_TAIL,
        MessageKind.LETTER_NEWCOMER: "سجلت مؤخرًا في بلدية {gemeente}. حاولنا الاتصال بك "
        "لإجراء محادثة مجانية حول ما تحتاجه هنا: تعلم اللغة الهولندية، العمل، المدرسة ورعاية "
        "الأطفال، السكن، أوقات الفراغ. لم نتمكن من الوصول إليك بعد.\n"
        "اتصل بنا أو تعال إلى مكتب الاستقبال واذكر رقمك {nummer}.\n" + _AR_TAIL,
        MessageKind.LETTER_LONG_TERM: "أنت تسكن في {gemeente} منذ فترة. نقدم لك محادثة مجانية "
        "حول ما لا تزال تحتاجه: ممارسة اللغة الهولندية، العمل، المدرسة ورعاية الأطفال، السكن، "
        "أوقات الفراغ. حاولنا الاتصال بك، لكن لم نتمكن من ذلك بعد.\n"
        "اتصل بنا أو تعال إلى مكتب الاستقبال واذكر رقمك {nummer}.\n" + _AR_TAIL,
        MessageKind.REMINDER: "نذكرك بموعدك يوم {datum} الساعة {uur}.\n"
        "المكان: {plaats}\n"
        "ستتحدث مع {toeleider}.\n"
        "سيحضر مترجم: {tolk}.\n"
        "لا تستطيع الحضور في هذا الموعد؟ أخبرنا واذكر رقمك {nummer}.\n" + _AR_TAIL,
    },
    "uk": {
        MessageKind.SLIP: "Протягом кількох тижнів з вами зв'яжеться консультант, по "
        "можливості вашою мовою. Разом ви з'ясуєте, що вам потрібно: вивчення нідерландської, "
        "робота, школа та догляд за дітьми, житло, дозвілля. Розмова безкоштовна. Візьміть цей "
        "талон із собою.\n"
        "Є питання? Повідомте нас і назвіть свій номер {nummer}.\n" + _UK_TAIL,
        MessageKind.SLIP_APPOINTMENT: "У вас зустріч у {datum} о {uur}.\n"
        "Місце: {plaats}\n"
        "Ви говоритимете з {toeleider}.\n"
        "Буде перекладач: {tolk}.\n"
        "Під час розмови ви разом з'ясуєте, що вам потрібно: вивчення нідерландської, робота, "
        "школа та догляд за дітьми, житло, дозвілля. Розмова безкоштовна.\n"
        "Не можете прийти в цей час? Повідомте нас і назвіть свій номер {nummer}.\n" + _UK_TAIL,
        MessageKind.LETTER_NEWCOMER: "Нещодавно ви зареєструвалися в громаді {gemeente}. Ми "
        "намагалися зв'язатися з вами, щоб запропонувати безкоштовну розмову про те, що вам тут "
        "потрібно: вивчення нідерландської, робота, школа та догляд за дітьми, житло, дозвілля. "
        "Поки що це не вдалося.\n"
        "Зателефонуйте нам або приходьте на рецепцію і назвіть свій номер {nummer}.\n" + _UK_TAIL,
        MessageKind.LETTER_LONG_TERM: "Ви вже деякий час живете в {gemeente}. Ми пропонуємо вам "
        "безкоштовну розмову про те, що вам ще потрібно: практика нідерландської, робота, школа "
        "та догляд за дітьми, житло, дозвілля. Ми намагалися зв'язатися з вами, але поки що це "
        "не вдалося.\n"
        "Зателефонуйте нам або приходьте на рецепцію і назвіть свій номер {nummer}.\n" + _UK_TAIL,
        MessageKind.REMINDER: "Нагадуємо про вашу зустріч у {datum} о {uur}.\n"
        "Місце: {plaats}\n"
        "Ви говоритимете з {toeleider}.\n"
        "Буде перекладач: {tolk}.\n"
        "Не можете прийти в цей час? Повідомте нас і назвіть свій номер {nummer}.\n" + _UK_TAIL,
    },
    "ti": {
        MessageKind.SLIP: "ኣብ ውሽጢ ቅሩብ ሰሙናት ሓደ መራሒ፡ እንተተኻኢሉ ብቋንቋኹም፡ ክረኽበኩም እዩ። "
        "ብሓባር ኣብ ዘተ እንታይ ከም ዘድልየኩም ክትርእዩ ኢኹም፦ ሆላንድኛ ምምሃር፡ ስራሕ፡ ቤት ትምህርቲን "
        "ክንክን ቆልዑን፡ መንበሪ፡ ናጻ ግዜ። እቲ ዘተ ብናጻ እዩ። ነዛ ወረቐት ሒዝኩም ምጹ።\n"
        "ሕቶ ኣለኩም? ሓብሩና፡ ቁጽርኹም {nummer} ጥቐሱ።\n" + _TI_TAIL,
        MessageKind.SLIP_APPOINTMENT: "ቆጸራኹም {datum} ሰዓት {uur} እዩ።\n"
        "ቦታ፦ {plaats}\n"
        "ምስ {toeleider} ክትዘራረቡ ኢኹም።\n"
        "ተርጓሚ ኣሎ፦ {tolk}።\n"
        "ኣብቲ ዘተ እንታይ ከም ዘድልየኩም ብሓባር ክትርእዩ ኢኹም፦ ሆላንድኛ ምምሃር፡ ስራሕ፡ ቤት ትምህርቲን "
        "ክንክን ቆልዑን፡ መንበሪ፡ ናጻ ግዜ። እቲ ዘተ ብናጻ እዩ።\n"
        "ኣብቲ ግዜ ክትመጹ እንተ ዘይክኢልኩም፡ ሓብሩና፡ ቁጽርኹም {nummer} ጥቐሱ።\n" + _TI_TAIL,
        MessageKind.LETTER_NEWCOMER: "ቀረባ እዋን ኣብ ምምሕዳር {gemeente} ተመዝጊብኩም። ብዛዕባ ኣብዚ "
        "ዘድልየኩም ነገራት፡ ሆላንድኛ ምምሃር፡ ስራሕ፡ ቤት ትምህርቲን ክንክን ቆልዑን፡ መንበሪ፡ ናጻ ግዜ፡ "
        "ናጻ ዘተ ንምግባር ክንረኽበኩም ፈቲንና። ክሳብ ሕጂ ኣይተዓወተን።\n"
        "ደውሉልና ወይ ናብ መቐበሊ ምጹ፡ ቁጽርኹም {nummer} ጥቐሱ።\n" + _TI_TAIL,
        MessageKind.LETTER_LONG_TERM: "ንገለ እዋን ኣብ {gemeente} ትነብሩ ኣለኹም። ብዛዕባ ገና "
        "ዘድልየኩም ነገራት፡ ሆላንድኛ ምልማድ፡ ስራሕ፡ ቤት ትምህርቲን ክንክን ቆልዑን፡ መንበሪ፡ ናጻ ግዜ፡ "
        "ናጻ ዘተ ነቕርበልኩም። ክንረኽበኩም ፈቲንና፡ ግን ክሳብ ሕጂ ኣይተዓወተን።\n"
        "ደውሉልና ወይ ናብ መቐበሊ ምጹ፡ ቁጽርኹም {nummer} ጥቐሱ።\n" + _TI_TAIL,
        MessageKind.REMINDER: "ብዛዕባ ቆጸራኹም {datum} ሰዓት {uur} ነዘኻኽረኩም።\n"
        "ቦታ፦ {plaats}\n"
        "ምስ {toeleider} ክትዘራረቡ ኢኹም።\n"
        "ተርጓሚ ኣሎ፦ {tolk}።\n"
        "ኣብቲ ግዜ ክትመጹ እንተ ዘይክኢልኩም፡ ሓብሩና፡ ቁጽርኹም {nummer} ጥቐሱ።\n" + _TI_TAIL,
    },
    "en": {
        MessageKind.SLIP: "Within a few weeks an outreach worker will contact you, in your "
        "language if possible. Together you will look at what you need: learning Dutch, work, "
        "school and childcare, housing, leisure. The conversation is free. Please bring this "
        "slip.\n"
        "Questions? Let us know and give your number {nummer}.\n" + _EN_TAIL,
        MessageKind.SLIP_APPOINTMENT: "You have an appointment on {datum} at {uur}.\n"
        "Place: {plaats}\n"
        "You will talk with {toeleider}.\n"
        "There will be an interpreter: {tolk}.\n"
        "In the conversation you look together at what you need: learning Dutch, work, school "
        "and childcare, housing, leisure. The conversation is free.\n"
        "Can you not come at that time? Let us know and give your number {nummer}.\n" + _EN_TAIL,
        MessageKind.LETTER_NEWCOMER: "You recently registered with the municipality of "
        "{gemeente}. We tried to reach you for a free conversation about what you need here: "
        "learning Dutch, work, school and childcare, housing, leisure. We have not reached you "
        "yet.\n"
        "Call us or come to the front desk and give your number {nummer}.\n" + _EN_TAIL,
        MessageKind.LETTER_LONG_TERM: "You have lived in {gemeente} for some time. We offer "
        "you a free conversation about what you still need: practising Dutch, work, school and "
        "childcare, housing, leisure. We tried to reach you, but have not reached you yet.\n"
        "Call us or come to the front desk and give your number {nummer}.\n" + _EN_TAIL,
        MessageKind.REMINDER: "This is a reminder of your appointment on {datum} at {uur}.\n"
        "Place: {plaats}\n"
        "You will talk with {toeleider}.\n"
        "There will be an interpreter: {tolk}.\n"
        "Can you not come at that time? Let us know and give your number {nummer}.\n" + _EN_TAIL,
    },
    "fr": {
        MessageKind.SLIP: "Dans les prochaines semaines, un accompagnateur vous contactera, si "
        "possible dans votre langue. Ensemble, vous verrez ce dont vous avez besoin : apprendre "
        "le néerlandais, le travail, l'école et l'accueil des enfants, le logement, les loisirs. "
        "L'entretien est gratuit. Apportez ce ticket.\n"
        "Des questions ? Prévenez-nous en donnant votre numéro {nummer}.\n"
        "Téléphone : {telefoon}\nHeures d'ouverture : {openingsuren}",
    },
    "tr": {
        MessageKind.SLIP: "Birkaç hafta içinde bir rehber, mümkünse sizin dilinizde, sizinle "
        "iletişime geçecek. Birlikte neye ihtiyacınız olduğuna bakacaksınız: Hollandaca öğrenmek, "
        "iş, okul ve çocuk bakımı, konut, boş zaman. Görüşme ücretsizdir. Bu fişi yanınızda "
        "getirin.\n"
        "Sorularınız mı var? Numaranızı {nummer} belirterek bize bildirin.\n"
        "Telefon: {telefoon}\nÇalışma saatleri: {openingsuren}",
    },
}

# The letterhead of the demo municipalities, by NIS code.
DEMO_LETTERHEADS: dict[str, dict[str, str]] = {
    "99991": {
        "address": "Gemeentehuis Lindeveld\nMarktplein 1\n9999 Lindeveld",
        "phone": "+3250123456",
        "email": "onthaal@lindeveld.example",
        "opening_hours": "ma–vr 9–12 u, di ook 14–19 u",
        "contact_person": "Team Onthaal",
    },
    "99992": {
        "address": "Gemeentehuis Beekmere\nKerkstraat 10\n9998 Beekmere",
        "phone": "+3250654321",
        "email": "onthaal@beekmere.example",
        "opening_hours": "ma–vr 8.30–12 u",
        "contact_person": "Team Onthaal",
    },
}
