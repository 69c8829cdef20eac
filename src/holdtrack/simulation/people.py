"""Synthetic people for the simulator.

Names are drawn independently from short lists of common given names and surnames per language group, so a
full name is a random combination, never a record of a real person. Every subject is stored with
``synthetic=True`` (the model default). Birth-country mix [A]: roughly the nationality mix of detainer
subjects in recent ICE releases, Mexico and northern Central America first; sex 90% male (domain.md D3).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from holdtrack.custody.models import IdentifierType
from holdtrack.intake.bookings import BookedPerson

# (birth country, language code, weight, name group)
COUNTRIES: tuple[tuple[str, str, float, str], ...] = (
    ("Mexico", "es", 40, "es"),
    ("Guatemala", "es", 12, "es"),
    ("Honduras", "es", 11, "es"),
    ("El Salvador", "es", 7, "es"),
    ("Venezuela", "es", 4, "es"),
    ("Colombia", "es", 3, "es"),
    ("Cuba", "es", 3, "es"),
    ("Dominican Republic", "es", 3, "es"),
    ("Ecuador", "es", 3, "es"),
    ("Nicaragua", "es", 2, "es"),
    ("Brazil", "pt", 2, "pt"),
    ("Haiti", "ht", 2, "fr"),
    ("India", "hi", 2, "hi"),
    ("China", "zh", 2, "zh"),
    ("Vietnam", "vi", 1.5, "vi"),
    ("Philippines", "tl", 1.5, "tl"),
    ("Jamaica", "en", 1, "en"),
)

MALE: dict[str, tuple[str, ...]] = {
    "es": ("José", "Juan", "Luis", "Carlos", "Jorge", "Miguel", "Jesús", "Pedro", "Francisco", "Mario",
           "Víctor", "Alejandro", "Óscar", "Ricardo", "Fernando", "Javier", "Eduardo", "Roberto", "Daniel"),
    "pt": ("João", "Pedro", "Lucas", "Gabriel", "Rafael", "Mateus", "Tiago", "Bruno"),
    "fr": ("Jean", "Pierre", "Joseph", "Jacques", "Emmanuel", "Wilson", "Ricardo", "Samuel"),
    "hi": ("Amit", "Rahul", "Sandeep", "Vikram", "Rajesh", "Harpreet", "Gurpreet", "Sunil"),
    "zh": ("Wei", "Jun", "Lei", "Hao", "Ming", "Jian", "Tao", "Yong"),
    "vi": ("Minh", "Tuan", "Hung", "Dung", "Quang", "Long", "Nam", "Phuc"),
    "tl": ("Jose", "Mark", "John", "Rodel", "Romeo", "Noel", "Ariel", "Jayson"),
    "en": ("James", "Michael", "David", "John", "Robert", "Andre", "Marcus", "Kevin"),
}  # fmt: skip
FEMALE: dict[str, tuple[str, ...]] = {
    "es": ("María", "Ana", "Rosa", "Carmen", "Guadalupe", "Sofía", "Laura", "Patricia", "Verónica", "Elena"),
    "pt": ("Ana", "Maria", "Juliana", "Fernanda", "Camila", "Beatriz"),
    "fr": ("Marie", "Rose", "Nadège", "Guerline", "Esther", "Judith"),
    "hi": ("Priya", "Sunita", "Anjali", "Kiran", "Manpreet", "Pooja"),
    "zh": ("Li", "Fang", "Jing", "Min", "Yan", "Xiu"),
    "vi": ("Lan", "Hoa", "Thu", "Mai", "Huong", "Linh"),
    "tl": ("Maria", "Rowena", "Jocelyn", "Marites", "Analyn", "Rhea"),
    "en": ("Mary", "Keisha", "Sarah", "Nicole", "Tanya", "Andrea"),
}  # fmt: skip
SURNAMES: dict[str, tuple[str, ...]] = {
    "es": ("García", "Hernández", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez", "Ramírez",
           "Cruz", "Flores", "Gómez", "Morales", "Vásquez", "Reyes", "Jiménez", "Torres", "Díaz", "Gutiérrez",
           "Ruiz", "Mendoza", "Aguilar", "Ortiz", "Castillo", "Romero", "Chávez", "Ramos", "Juárez", "Mejía"),
    "pt": ("Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Ferreira", "Almeida", "Rocha"),
    "fr": ("Joseph", "Jean-Baptiste", "Pierre", "Louis", "Charles", "Desir", "Etienne", "Francois", "Michel"),
    "hi": ("Singh", "Kumar", "Patel", "Sharma", "Kaur", "Gupta", "Shah", "Reddy"),
    "zh": ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou"),
    "vi": ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Phan", "Vu", "Dang"),
    "tl": ("Santos", "Reyes", "Cruz", "Bautista", "Ocampo", "Garcia", "Mendoza", "Dela Cruz"),
    "en": ("Smith", "Brown", "Campbell", "Williams", "Thompson", "Clarke", "Johnson", "Davis"),
}  # fmt: skip

# Staff and judicial officers in the simulation get names from the same lists (never real office holders).
STAFF_GROUPS = ("en", "es", "en", "zh", "vi", "hi")


@dataclass(frozen=True)
class Person:
    first_name: str
    middle_name: str
    last_name: str
    sex: str
    date_of_birth: date
    birth_country: str
    language: str


def make_person(rng: random.Random, on: date) -> Person:
    country, language, _, group = rng.choices(COUNTRIES, weights=[c[2] for c in COUNTRIES])[0]
    sex = "M" if rng.random() < 0.90 else "F"
    given = MALE[group] if sex == "M" else FEMALE[group]
    first = rng.choice(given)
    middle = rng.choice(given) if group in ("es", "pt") and rng.random() < 0.4 else ""
    if middle == first:
        middle = ""
    last = rng.choice(SURNAMES[group])
    if group == "es" and rng.random() < 0.5:
        # Two surnames, as on many Latin American identity documents.
        second = rng.choice(SURNAMES[group])
        if second != last:
            last = f"{last} {second}"
    age_days = int(rng.triangular(18, 68, 29) * 365.25)
    return Person(first, middle, last, sex, on - timedelta(days=age_days), country, language)


def staff_name(rng: random.Random) -> tuple[str, str]:
    group = rng.choice(STAFF_GROUPS)
    given = MALE[group] + FEMALE[group]
    return rng.choice(given), rng.choice(SURNAMES[group])


def booked_person(person: Person, fin: str) -> BookedPerson:
    """The booked record a jail's feed sends for a simulated person, keyed by its FIN."""
    return BookedPerson(
        first_name=person.first_name,
        middle_name=person.middle_name,
        last_name=person.last_name,
        date_of_birth=person.date_of_birth,
        sex=person.sex,
        birth_country=person.birth_country,
        citizenship_country=person.birth_country,
        preferred_language=person.language,
        identifiers={IdentifierType.IDENT_FIN: fin},
    )
