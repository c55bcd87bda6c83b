"""What the simulated Telegram of the demo holds: people, chats and their histories, in the
scripts the vault must handle (Spanish accents, Cyrillic, Arabic with diacritics, Japanese,
Chinese, English). Plain data; ``world`` turns it into the scripted Telegram."""

from __future__ import annotations

from dataclasses import dataclass

ACCOUNT_USERNAME = "demo_account"
NEWS = "noticias"  # the public channel the admin adds from the bot
PHOTO_POST = 60  # the Noticias post that carries a photo
NEWS_POSTS = 120
RULE_NAME = "descuentos"
RULE_KEYWORDS = "descuento, скидка, خصم, 割引, 折扣, discount"


@dataclass(frozen=True)
class Person:
    key: str
    first_name: str
    last_name: str
    username: str


@dataclass(frozen=True)
class ChatScript:
    """One chat: ``kind`` is channel, supergroup or group; ``lines`` are (person key, text)."""

    key: str
    kind: str
    title: str
    username: str | None
    language: str
    lines: tuple[tuple[str, str], ...]
    joined: bool = True


PEOPLE = (
    Person("lucia", "Lucía", "Fernández", "lucia_fdz"),
    Person("ivan", "Иван", "Петров", "ivan_petrov"),
    Person("olga", "Ольга", "Смирнова", "olga_s"),
    Person("layla", "ليلى", "حداد", "layla_h"),
    Person("omar", "عمر", "الفاروق", "omar_f"),
    Person("kenji", "健二", "佐藤", "kenji_sato"),
    Person("hana", "花子", "山田", "hana_y"),
    Person("wang", "芳", "王", "wang_fang"),
    Person("sam", "Sam", "Carter", "sam_carter"),
    Person("priya", "Priya", "Nair", "priya_n"),
)

# Posts of the channel by number; the others are the daily bulletin.
NEWS_SPECIAL = {
    5: "El café de la plaza Mayor reabre tras la reforma: 120 años de historia.",
    30: "¿Sabías que? El año pasado se vendieron un 12 % más de libros en español.",
    PHOTO_POST: "📷 Así quedó la fachada del café tras la restauración.",
    90: "Descuento del 20 % en el abono de transporte para menores de 26 años.",
    110: "Señal de alerta: fuertes lluvias en el norte durante el fin de semana.",
}


def news_post(number: int) -> str:
    return NEWS_SPECIAL.get(
        number, f"Boletín n.º {number}: el tiempo, el tráfico y la agenda del día."
    )


# The chats are aligned by hand: the formatter would give every field its own line.
# fmt: off
CHATS = (
    ChatScript(
        NEWS, "channel", "Noticias del Día", "noticias", "Spanish",
        tuple(("", news_post(n)) for n in range(1, NEWS_POSTS + 1)), joined=False,
    ),
    ChatScript("travel", "supergroup", "Клуб путешественников", "puteshestviya", "Russian", (
        ("ivan", "Всем привет! Кто был в Казани этой весной?"),
        ("olga", "Я была в апреле — очень красиво, особенно Кремль."),
        ("ivan", "Скидка на ж/д билеты для студентов до конца месяца."),
        ("olga", "Москва — Казань на «Ласточке» всего четыре часа."),
        ("ivan", "Ёлки-палки, забыл паспорт дома 😅"),
        ("olga", "Фото с Волги выложу вечером."),
    )),
    ChatScript("books", "supergroup", "سوق الكتب", "souq_kutub", "Arabic", (
        ("layla", "مرحباً بالجميع! وصلت روايات جديدة إلى المكتبة."),
        ("omar", "خَصْمٌ على كُتُبِ الأَطْفَالِ حتى نهاية الأسبوع."),
        ("layla", "هل قرأ أحدكم «موسم الهجرة إلى الشمال»؟"),
        ("omar", "نعم، رواية رائعة للطيب صالح."),
        ("layla", "المعرض يفتح أبوابه يوم السبت في الساعة العاشرة."),
    )),
    ChatScript("ramen", "group", "東京ラーメン部", None, "Japanese", (
        ("kenji", "今日のラーメンは最高でした！"),
        ("hana", "新宿の新しい店、学生割引があるそうです。"),
        ("kenji", "味噌ラーメンと醤油ラーメン、どっちが好き？"),
        ("hana", "来週の土曜日にみんなで行きましょう。"),
    )),
    ChatScript("reading", "supergroup", "上海读书会", "shanghai_dushu", "Chinese", (
        ("wang", "本周读书会讨论《活着》，欢迎大家参加。"),
        ("wang", "书店周末全场八折，会员另有折扣。"),
        ("wang", "下次活动在静安区的咖啡馆举行。"),
    )),
    ChatScript("lab", "supergroup", "Open Source Lab", "oslab", "English", (
        ("sam", "Welcome to the lab! Introduce yourself and your project."),
        ("priya", "Hi all, I maintain a small search library for multilingual text."),
        ("sam", "Reminder: the conference discount code expires on Friday."),
        ("priya", "Release notes for v2.3 are up, feedback welcome."),
    )),
)
# fmt: on

# Live traffic while the demo runs: (chat key, person key, text).
LIVE_CHATTER = (
    ("lab", "sam", "Coffee at the cafe on 5th street after the meetup?"),
    ("ramen", "hana", "札幌ラーメンの店が渋谷にできました。"),
    ("books", "layla", "شكراً لكم جميعاً على الحضور أمس!"),
    ("reading", "wang", "《三体》的讨论改到下周三。"),
    ("travel", "olga", "Кто-нибудь знает хорошее кафе в Казани?"),
)
ALERT_MESSAGE = ("travel", "ivan", "Скидка 30% на поезд до Казани — только сегодня!")
SEARCHES = ("cafe", "ラーメン")
