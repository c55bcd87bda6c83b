"""Words for synthetic rule sets: what admins watch for, in the languages the archive holds."""

from __future__ import annotations


def _words(text: str, separator: str | None = None) -> list[str]:
    return text.split(separator)


# Specific terms and phrases, as watch lists hold them; a few are everyday words on purpose.
WATCH_WORDS = _words(
    "wire transfer, western union, gift card, seed phrase, private key, airdrop, giveaway, "
    "guaranteed profit, double your money, investment plan, recovery service, "
    "verify your account, bitcoin, refund, "
    "transferencia bancaria, teléfono, contraseña, número de cuenta, depósito inmediato, "
    "préstamo rápido, inversión segura, código de verificación, cédula, envío gratis, "
    "Bogotá, Medellín, Cádiz, compañía, "
    "перевод на карту, кошелёк, пароль от, заработок без вложений, номер карты, "
    "تحويل بنكي, محفظة, بيتكوين, "
    "转账, 钱包, 比特币, 交易所, 送金, ビットコイン, 口座番号",
    ", ",
)
# Syllables of made-up names and product words: deliberately not the corpus generator's.
SYLLABLES = _words(
    "bra kel mun dor vex tis gal rin hop sul yar quo zen fip wob ñan jér cüe dís lóm pué sví"
)
CYRILLIC_SYLLABLES = _words("бро кес мух дор вык зан гол")
REGEX_TEMPLATES = (
    r"(?:pago|payment|оплата)\s*(?:de\s*)?\$?\d{{2,6}}\s*{word}",
    r"\b{word}[-_ ]?\d{{3,6}}\b",
    r"(?:whatsapp|wa\.me)[/ :]*\+?\d{{8,14}}{word}",
    r"\b{upper}-\d{{4,8}}\b",
    r"{word}\s+(?:[a-z]+\s+){{0,3}}{word2}",
    r"(?:usdt|btc|eth)\s*\d+(?:[.,]\d+)?\s*{word}",
    r"@{word}[a-z0-9_]{{0,20}}bot\b",
    r"#{word}[a-z0-9_]*",
    r"\d{{1,3}}(?:[.,]\d{{3}})+\s*(?:€|usd|cop|руб)\s*{word}",
    r"(?:precio|price|цена)\s*:?\s*{word}",
)
