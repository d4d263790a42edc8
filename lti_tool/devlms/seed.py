"""The demo course and its people: constants the demo, the docs and the tests share.

Names are real-world international (kanji, Cyrillic, Arabic, Greek, accents) on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SeedPerson:
    id: str
    given_name: str
    family_name: str
    name: str
    email: str
    locale: str


DEMO_COURSE_ID = "plw-101"
DEMO_COURSE_LABEL = "PLW101"
DEMO_COURSE_TITLE = "Peer Learning at Work"
DEMO_LINK_ID = "plw-101-peerpath"
DEMO_LINK_TITLE = "PeerPath"
DEMO_LINK_DESCRIPTION = "Peer review, peer coaching and lessons written by colleagues."

INSTRUCTORS: tuple[SeedPerson, ...] = (
    SeedPerson(
        "u-1001", "Aoife", "Ní Bhriain", "Aoife Ní Bhriain", "aoife.nibhriain@example.com", "en-GB"
    ),
    SeedPerson("u-1002", "Jürgen", "Weiß", "Jürgen Weiß", "juergen.weiss@example.com", "de-DE"),
)

LEARNERS: tuple[SeedPerson, ...] = (
    SeedPerson("u-2001", "花子", "佐藤", "佐藤 花子", "hanako.sato@example.com", "ja-JP"),
    SeedPerson(
        "u-2002", "José", "Ramírez Núñez", "José Ramírez Núñez", "jose.ramirez@example.com", "es-MX"
    ),
    SeedPerson(
        "u-2003", "Олена", "Коваленко", "Олена Коваленко", "olena.kovalenko@example.com", "uk-UA"
    ),
    SeedPerson("u-2004", "فاطمة", "حسن", "فاطمة حسن", "fatma.hassan@example.com", "ar-EG"),
    SeedPerson("u-2005", "Lan", "Nguyễn Thị", "Nguyễn Thị Lan", "lan.nguyen@example.com", "vi-VN"),
    SeedPerson(
        "u-2006",
        "Γιώργος",
        "Παπαδόπουλος",
        "Γιώργος Παπαδόπουλος",
        "giorgos.papadopoulos@example.com",
        "el-GR",
    ),
    SeedPerson(
        "u-2007",
        "Siobhán",
        "Ó Súilleabháin",
        "Siobhán Ó Súilleabháin",
        "siobhan.osullivan@example.com",
        "en-IE",
    ),
    SeedPerson(
        "u-2008", "Björn", "Großmann", "Björn Großmann", "bjoern.grossmann@example.com", "de-DE"
    ),
)
