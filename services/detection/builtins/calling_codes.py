"""ITU-T E.164 country calling codes, and national number lengths where they are fixed."""

from __future__ import annotations

_TWO_DIGIT = (
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 "
    "60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98"
)
_THREE_DIGIT = (
    "211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 "
    "237 238 239 240 241 242 243 244 245 246 247 248 249 250 251 252 253 254 255 256 257 258 "
    "260 261 262 263 264 265 266 267 268 269 290 291 297 298 299 350 351 352 353 354 355 356 "
    "357 358 359 370 371 372 373 374 375 376 377 378 379 380 381 382 383 385 386 387 389 420 "
    "421 423 500 501 502 503 504 505 506 507 508 509 590 591 592 593 594 595 596 597 598 599 "
    "670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688 689 690 691 692 800 "
    "808 850 852 853 855 856 870 880 881 882 883 886 960 961 962 963 964 965 966 967 968 970 "
    "971 972 973 974 975 976 977 979 992 993 994 995 996 998"
)
# The codes are prefix-free: no code is the beginning of another.
CALLING_CODES = frozenset({"1", "7", *_TWO_DIGIT.split(), *_THREE_DIGIT.split()})

# (shortest, longest) national significant number where the numbering plan is well known;
# other countries only get E.164's overall bounds.
NATIONAL_LENGTHS = {
    "1": (10, 10),  # NANP
    "7": (10, 10),
    "27": (9, 9),
    "30": (10, 10),
    "31": (9, 9),
    "33": (9, 9),
    "34": (9, 9),
    "36": (8, 9),
    "39": (6, 11),
    "40": (9, 9),
    "41": (9, 9),
    "44": (9, 10),
    "45": (8, 8),
    "47": (8, 8),
    "48": (9, 9),
    "52": (10, 10),
    "54": (10, 11),
    "55": (10, 11),
    "56": (9, 9),
    "57": (10, 10),
    "61": (9, 9),
    "65": (8, 8),
    "81": (9, 10),
    "86": (9, 11),
    "90": (10, 10),
    "91": (10, 10),
    "351": (9, 9),
    "380": (9, 9),
    "420": (9, 9),
    "966": (9, 9),
    "971": (8, 9),
    "972": (8, 9),
}
E164_MAX_DIGITS = 15
MIN_DIGITS = 8
MIN_NATIONAL_DIGITS = 4


def split_calling_code(digits: str) -> tuple[str, str] | None:
    """(country calling code, national number) of an international number's digits."""
    for size in (1, 2, 3):
        if digits[:size] in CALLING_CODES:
            return digits[:size], digits[size:]
    return None


def plausible_e164(digits: str) -> bool:
    """Digits after ``+`` that could be a real number: known code, E.164 and national lengths."""
    if not MIN_DIGITS <= len(digits) <= E164_MAX_DIGITS:
        return False
    split = split_calling_code(digits)
    if split is None:
        return False
    code, national = split
    shortest, longest = NATIONAL_LENGTHS.get(code, (MIN_NATIONAL_DIGITS, E164_MAX_DIGITS))
    if not shortest <= len(national) <= longest:
        return False
    if code == "1":  # NANP: area code and exchange never start with 0 or 1
        return national[0] not in "01" and national[3] not in "01"
    return True
