"""Name vocabularies for the harder synthetic registry (issue 10 §3 a).

Common given names and surnames only — each on its own is not personal data, and every full name the generator
makes is a random combination. Vietnamese names keep their diacritics in the registry (an agency feed strips
them); Arabic names come with the spellings that transliteration produces. The variant tables are what a jail
clerk may type for the registry's spelling.
"""

from __future__ import annotations

from holdtrack.simulation.names import NICKNAMES_OF

# (birth country, weight, name group): the independent set had more Vietnamese and Arabic names than the
# default registry's mix, so both are weighted up here; "vd" is Vietnamese with diacritics.
HARD_COUNTRIES: tuple[tuple[str, float, str], ...] = (
    ("Mexico", 34, "es"),
    ("Guatemala", 10, "es"),
    ("Honduras", 9, "es"),
    ("El Salvador", 6, "es"),
    ("Venezuela", 3, "es"),
    ("Colombia", 3, "es"),
    ("Cuba", 2, "es"),
    ("Dominican Republic", 2, "es"),
    ("Ecuador", 2, "es"),
    ("Brazil", 2, "pt"),
    ("Haiti", 2, "fr"),
    ("India", 2, "hi"),
    ("China", 2, "zh"),
    ("Vietnam", 5, "vd"),
    ("Philippines", 1.5, "tl"),
    ("Jamaica", 1, "en"),
    ("Egypt", 3, "ar"),
    ("Syria", 2, "ar"),
    ("Iraq", 2, "ar"),
    ("Yemen", 1.5, "ar"),
    ("Sudan", 1.5, "ar"),
    ("Jordan", 1, "ar"),
)

VD_SURNAMES = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
    "Dương", "Lý", "Trương", "Đinh", "Lâm", "Mai",
)  # fmt: skip
VD_MALE = (
    "Minh", "Tuấn", "Hùng", "Dũng", "Quang", "Long", "Nam", "Phúc", "Thành", "Hải", "Khoa", "Đức", "Sơn", "Vinh",
    "Bình", "Tâm", "Hiếu", "Cường", "Thắng", "Trung",
)  # fmt: skip
VD_FEMALE = ("Lan", "Hoa", "Thu", "Mai", "Hương", "Linh", "Ngọc", "Trang", "Phương", "Anh", "Hạnh", "Thảo")
VD_MIDDLE_MALE = ("Văn", "Văn", "Văn", "Đức", "Minh", "Hữu", "Quốc", "Công")
VD_MIDDLE_FEMALE = ("Thị", "Thị", "Thị", "Ngọc", "Thu", "Kim")

AR_MALE = (
    "Mohammed", "Ahmed", "Ali", "Omar", "Youssef", "Hussein", "Khaled", "Mahmoud", "Abdullah", "Ibrahim",
    "Hassan", "Mustafa", "Karim", "Tariq", "Samir", "Walid", "Osama", "Hamza", "Bilal", "Jamal",
)  # fmt: skip
AR_FEMALE = ("Fatima", "Aisha", "Mariam", "Noor", "Layla", "Zainab", "Amira", "Huda", "Salma", "Rania")
AR_SURNAMES = (
    "Mohammed", "Hussein", "Ali", "Hassan", "Ibrahim", "Abdullah", "Al-Masri", "Haddad", "Khalil", "Nasser",
    "Saleh", "Mansour", "Yusuf", "Abdel-Rahman", "Othman", "Qureshi", "Al-Amin", "Hamdan", "Suleiman", "Darwish",
    "Mahmoud", "Omar", "Awad", "Farouk",
)  # fmt: skip

# Registry spelling → spellings a feed may carry for it (transliteration and romanisation habits).
TRANSLITERATIONS: dict[str, tuple[str, ...]] = {
    "Mohammed": ("Muhammad", "Mohamed", "Mohammad", "Muhammed"),
    "Ahmed": ("Ahmad", "Ahmet"),
    "Hussein": ("Husain", "Hussain", "Husayn"),
    "Yusuf": ("Youssef", "Yousef", "Yusef"),
    "Youssef": ("Yusuf", "Yousef", "Yusef"),
    "Hassan": ("Hasan",),
    "Khaled": ("Khalid",),
    "Mahmoud": ("Mahmud", "Mahmood"),
    "Mustafa": ("Mostafa", "Moustafa"),
    "Abdullah": ("Abdallah", "Abdulla"),
    "Ibrahim": ("Ebrahim", "Ibraheem"),
    "Omar": ("Umar",),
    "Ali": ("Aly",),
    "Osama": ("Usama",),
    "Suleiman": ("Sulaiman", "Soliman"),
    "Othman": ("Uthman", "Osman"),
    "Saleh": ("Salih",),
    "Nasser": ("Nasir", "Naser"),
    "Mansour": ("Mansur",),
    "Qureshi": ("Kureshi", "Qurashi"),
    "Abdel-Rahman": ("Abdelrahman", "Abd al-Rahman", "Abdulrahman"),
    "Al-Masri": ("Almasri", "El-Masri", "Elmasri"),
    "Al-Amin": ("Alamin", "El-Amin"),
    "Farouk": ("Farooq", "Faruk"),
    "Fatima": ("Fatma", "Fatimah"),
    "Aisha": ("Aysha", "Aicha", "Ayesha"),
    "Zainab": ("Zaynab", "Zeinab"),
    "Nguyễn": ("Nguen", "Nguyn", "Ngyuen", "Nguyin"),
    "Huỳnh": ("Huyn", "Hyunh", "Huinh"),
    "Trương": ("Truong", "Chuong"),
    "Dương": ("Duong", "Zuong"),
    "Phạm": ("Pham", "Fam"),
    "Đặng": ("Dang", "Dhang"),
    "Zhang": ("Chang", "Cheung"),
    "Wang": ("Wong",),
    "Chen": ("Chan", "Chin"),
    "Liu": ("Lau", "Lew"),
    "Zhou": ("Chou", "Chow"),
    "Wu": ("Woo", "Ng"),
    "Li": ("Lee",),
    "Yang": ("Yeung", "Young"),
    "Vásquez": ("Vázquez", "Vasques"),
    "Jiménez": ("Giménez", "Ximénez"),
    "Gutiérrez": ("Gutierres",),
    "Mejía": ("Megía", "Mexía"),
    "Hernández": ("Hernándes", "Fernández"),
    "Sharma": ("Sarma",),
    "Reddy": ("Reddi",),
}

# Nicknames beyond the default generator's (which are kept): what a booking officer hears and writes.
HARD_NICKNAMES: dict[str, tuple[str, ...]] = {
    **NICKNAMES_OF,
    "Manuel": ("Manny", "Manolo"),
    "Rafael": ("Rafa",),
    "Enrique": ("Quique", "Kike"),
    "Alberto": ("Beto",),
    "Gerardo": ("Jerry",),
    "Ernesto": ("Neto",),
    "Jorge": ("George",),
    "Gustavo": ("Tavo",),
    "Rodrigo": ("Rigo",),
    "Salvador": ("Chava",),
    "Santiago": ("Santi",),
    "Rosa": ("Rosita",),
    "Isabel": ("Chabela", "Isa"),
    "William": ("Bill", "Will"),
    "Richard": ("Rick",),
    "Joseph": ("Joe",),
    "Thomas": ("Tom",),
    "Christopher": ("Chris",),
    "Anthony": ("Tony",),
    "Mohammed": ("Mo", "Hamada"),
    "Abdullah": ("Abdu",),
    "Mustafa": ("Musti",),
    "Ibrahim": ("Bob",),
    "Youssef": ("Joe",),
    "Mahmoud": ("Hamada",),
    "João": ("Joãozinho",),
    "Gabriel": ("Gabe",),
}
