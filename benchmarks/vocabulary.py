"""Word lists and name pools the synthetic corpus draws from (frequent words first)."""

from __future__ import annotations


def _words(text: str) -> list[str]:
    return text.split()


ENGLISH = _words("""
the to and a of i you is in it for that on this be with we have are not at me my so
just do can but what your will was if all get they out up about know like no one now
good there how please time from see he more thanks when here an or today any new by
go let us back send call price message link check ok yes group update think need want
today tomorrow morning night people money work pay channel news market account phone
number address email order delivery payment transfer wallet crypto bitcoin meeting
contact admin help question answer support offer sale buy sell free discount deal
week month year day hour minute later soon again first last next every still also
really very much many some other same great nice sorry problem issue done ready sure
please share join invite private public group chat photo video file document voice
information download install update version release server network password login code
verify confirm cancel refund invoice receipt shipping tracking package warehouse city
street station airport hotel flight ticket booking schedule event conference report
analysis project team manager client customer service product quality review rating
harbour river bridge garden kitchen window summer winter spring autumn weather rain
""")

SPANISH = _words("""
de la que el en y a los se del las un por con no una su para es al lo como más pero
sus le ya o este sí porque esta entre cuando muy sin sobre también me hasta hay donde
quien desde todo nos durante todos uno les ni contra otros ese eso ante ellos e esto mí
antes algunos qué unos yo otro otras otra él tanto esa estos mucho quienes nada muchos
cual poco ella estar estas algunas algo nosotros hola gracias buenos días noche mañana
teléfono información añadir Bogotá Medellín México Cádiz León Málaga Córdoba Perú
número dirección correo envío pago transferencia cuenta mensaje grupo canal enlace
reunión acción atención canción corazón razón opción pregunta respuesta próximo último
también después aquí allí así está están será había habrá tenía podrá fácil difícil
rápido público técnico económico político histórico café niño niña año años señor
señora compañía español inglés página teléfonos código contraseña verificación
pedido entrega dinero precio oferta descuento compra venta semana mes día hora minuto
ciudad calle estación aeropuerto hotel vuelo boleto reserva evento informe análisis
proyecto equipo cliente servicio producto calidad revisión música película foto vídeo
""")

RUSSIAN = _words("""
и в не на я что с он как а то все она так его но да ты к у же вы за бы по только её мне
было вот от меня ещё нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был
привет спасибо пожалуйста сегодня завтра вчера утром вечером деньги работа телефон номер
адрес почта заказ доставка оплата перевод кошелёк встреча контакт помощь вопрос ответ
информация сообщение группа канал ссылка цена скидка продажа покупка неделя месяц год
город улица вокзал аэропорт гостиница билет проект команда клиент сервис качество отчёт
""")

# Written with harakat; the corpus also strips them to get the undiacritized spelling.
ARABIC = _words("""
مَرْحَبًا شُكْرًا مِنْ فَضْلِكَ اَلْيَوْمَ غَدًا أَمْسِ صَبَاحًا مَسَاءً مُحَمَّد أَحْمَد فَاطِمَة
هَاتِف رَقْم عُنْوَان بَرِيد طَلَب تَوْصِيل دَفْع تَحْوِيل مَحْفَظَة اِجْتِمَاع اِتِّصَال مُسَاعَدَة
سُؤَال جَوَاب مَعْلُومَات رِسَالَة مَجْمُوعَة قَنَاة رَابِط سِعْر خَصْم بَيْع شِرَاء أُسْبُوع
شَهْر سَنَة مَدِينَة شَارِع مَطَار فُنْدُق تَذْكِرَة مَشْرُوع فَرِيق عَمِيل خِدْمَة جَوْدَة
فِي عَلَى إِلَى هَذَا هَذِهِ الَّذِي كَانَ لَا نَعَم مَعَ عَنْ كُلّ بَعْد قَبْل جِدًّا
""")

CHINESE = _words("""
我们 你好 谢谢 今天 明天 昨天 上午 晚上 电话 号码 地址 邮件 订单 发货 付款 转账 钱包
会议 联系 帮助 问题 回答 信息 消息 群组 频道 链接 价格 优惠 出售 购买 星期 月份 城市
北京 上海 广州 深圳 机场 酒店 机票 项目 团队 客户 服务 质量 报告 比特币 交易所 合约
现在 已经 可以 没有 什么 怎么 为什么 因为 所以 但是 如果 还是 或者 一起 非常 很多
的 了 是 在 有 和 就 不 人 都 一 这 中 大 为 上 个 国 我 以 要 他 时 来 用 们 生 到
""")

JAPANESE = _words("""
こんにちは ありがとう 今日 明日 昨日 午前 夜 電話 番号 住所 メール 注文 発送 支払い 送金
ウォレット 会議 連絡 手伝い 質問 回答 情報 メッセージ グループ チャンネル リンク 価格
割引 販売 購入 週 月 東京 大阪 京都 空港 ホテル 切符 プロジェクト チーム お客様 サービス
品質 報告 ビットコイン 取引所 です ます でした ません ください よろしく お願いします
は が を に で と も の から まで より へ や か ね よ 私 あなた 彼 彼女 これ それ あれ
""")

SYLLABLES_LATIN = _words("ka ri to mo sa le ne vi da po lu mi ta se ro fa gu be ni co")
SYLLABLES_SPANISH = _words("ción ña ño rí tá cá lé mó gú ba ve lla rro que gui zo sí")
SYLLABLES_CYRILLIC = _words("ка ро ми та ле ну ви да по лу ст ра жи ше ю")

FIRST_NAMES = {
    "en": _words("James Mary John Emma Oliver Sophia William Ava Jack Isla Harry Grace Noah Chloe"),
    "es": _words("José María Ángel Lucía Sofía Martín Valentina Andrés Camila Jesús Inés Ramón"),
    "ru": _words("Алексей Мария Дмитрий Анна Сергей Ольга Иван Наталья Михаил Екатерина Юрий"),
    "ar": _words("محمد فاطمة أحمد عائشة علي مريم حسن زينب عمر خديجة يوسف نور"),
    "zh": _words("伟 娜 芳 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰"),
    "ja": _words("花子 太郎 陽翔 結衣 蓮 葵 湊 さくら 大翔 美咲 ゆい"),
}
LAST_NAMES = {
    "en": _words("Smith Johnson Brown Taylor Wilson Davies Evans Thomas Roberts Walker"),
    "es": _words("García Núñez Pérez Gómez Rodríguez Martínez Sánchez Peña Muñoz Ibáñez"),
    "ru": _words("Иванов Смирнова Кузнецов Попова Соколов Лебедева Козлов Новикова"),
    "ar": _words("الحسن العلي الشمري القحطاني المصري الخطيب"),
    "zh": _words("王 李 张 刘 陈 杨 黄 赵 吴 周"),
    "ja": _words("佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村"),
}
USERNAME_STEMS = _words("alex maria crypto_king juan olga sam nina dev trader lucia pepe ivan")

URL_HOSTS = _words("example.com news.example.org shop.example.net docs.example.io bit.ly")
URL_PATHS = _words("article item p watch share post products category download")
MAIL_DOMAINS = _words("gmail.com yandex.ru outlook.es proton.me mail.example.co")
CHANNEL_STEMS = _words("noticias crypto_signals deals tech_news bogota_ventas moscow_chat")
CHAT_TITLES = {
    "en": ["Crypto Signals", "Tech News Daily", "Remote Jobs", "Family", "Book Club"],
    "es": ["Ventas Bogotá", "Información útil", "Noticias de México", "Fútbol y más"],
    "ru": ["Новости рынка", "Барахолка Москва", "Работа и вакансии"],
    "ar": ["مجموعة الأصدقاء", "أخبار السوق"],
    "zh": ["北京交流群", "币圈资讯"],
    "ja": ["東京の友達", "仮想通貨ニュース"],
}
