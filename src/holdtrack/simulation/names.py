"""Larger synthetic name vocabularies for the subject registry (issue 3).

Common given names and surnames per language group, drawn with Zipf-like weights so that some names are
shared by many registry subjects (the "shared common names" problem of biographic matching). Full names are
random combinations, never records of real people.
"""

from __future__ import annotations

from holdtrack.simulation.people import FEMALE, MALE, SURNAMES

_ES_SURNAMES_MORE = (
    "Álvarez", "Moreno", "Muñoz", "Romero", "Herrera", "Medina", "Castro", "Vargas", "Guzmán", "Salazar",
    "Rojas", "Delgado", "Contreras", "Ortega", "Sandoval", "Estrada", "Rivera", "Domínguez", "Soto", "Navarro",
    "Vega", "Cortés", "Campos", "Ríos", "Fuentes", "Carrillo", "Espinoza", "Luna", "Cabrera", "Valdez",
    "Acosta", "Molina", "Figueroa", "Pacheco", "Rosales", "Cárdenas", "Núñez", "Ibarra", "Maldonado", "Lara",
    "Villanueva", "Salinas", "Montes", "Serrano", "Zamora", "Velázquez", "Quintero", "Orozco", "Arias", "Bravo",
    "Cisneros", "Escobar", "Galindo", "Lozano", "Márquez", "Ochoa", "Palacios", "Quiroz", "Rangel", "Trejo",
    "Urbina", "Villalobos", "Zúñiga", "Barrera", "Benítez", "Cervantes", "Durán", "Esquivel", "Fajardo",
    "Godínez", "Hidalgo", "Iglesias", "Juárez", "León", "Macías", "Nava", "Olvera", "Padilla", "Quezada",
    "Robles", "Solís", "Tapia", "Uribe", "Valencia", "Yáñez", "Zavala", "Bermúdez", "Calderón", "Del Valle",
    "De la Rosa", "Santiago", "Vázquez", "Meléndez", "Coronado", "Arellano", "Beltrán", "Cano", "Carmona",
)  # fmt: skip
_ES_MALE_MORE = (
    "Antonio", "Manuel", "Rafael", "Sergio", "Arturo", "Raúl", "Enrique", "Alberto", "Héctor", "Ramón",
    "Rubén", "Gerardo", "Andrés", "Ernesto", "Armando", "Adrián", "Guillermo", "Hugo", "Ignacio", "Julio",
    "Martín", "Salvador", "Gustavo", "Rodrigo", "Felipe", "Alfredo", "Ángel", "Tomás", "Santiago", "Diego",
    "Emilio", "Esteban", "Gilberto", "Gonzalo", "Hernán", "Isidro", "Joaquín", "Leonardo", "Marco", "Nicolás",
    "Omar", "Pablo", "Rigoberto", "Saúl", "Teodoro", "Ulises", "Wilfredo", "Abel", "Bernardo", "César",
)  # fmt: skip
_ES_FEMALE_MORE = (
    "Isabel", "Teresa", "Luz", "Leticia", "Gabriela", "Adriana", "Claudia", "Silvia", "Alejandra", "Margarita",
    "Beatriz", "Lucía", "Marisol", "Yolanda", "Norma", "Gloria", "Diana", "Mónica", "Andrea", "Daniela",
    "Paola", "Karla", "Lorena", "Irma", "Raquel", "Susana", "Cecilia", "Esperanza", "Araceli", "Blanca",
)  # fmt: skip
_OTHER_SURNAMES_MORE: dict[str, tuple[str, ...]] = {
    "pt": ("Lima", "Gomes", "Ribeiro", "Carvalho", "Araújo", "Barbosa", "Cardoso", "Teixeira", "Moreira",
           "Mendes", "Nunes", "Vieira", "Monteiro", "Correia", "Pinto", "Cavalcanti", "Dias", "Castro"),
    "fr": ("Baptiste", "Paul", "Augustin", "Alexis", "Celestin", "Dorvil", "Fleurant", "Germain", "Hyppolite",
           "Jacques", "Lafontant", "Moise", "Noel", "Pierre-Louis", "Saint-Fleur", "Toussaint", "Valcourt"),
    "hi": ("Mehta", "Verma", "Yadav", "Joshi", "Rao", "Iyer", "Nair", "Gill", "Sandhu", "Dhillon", "Malhotra",
           "Chopra", "Kapoor", "Bhatia", "Desai", "Pillai"),
    "zh": ("Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Gao", "Lin", "Luo", "Zheng", "Liang", "Xie", "Song",
           "Tang", "Han", "Feng", "Deng", "Cao", "Peng"),
    "vi": ("Huynh", "Vo", "Bui", "Do", "Ho", "Ngo", "Duong", "Ly", "Truong", "Dinh", "Lam", "Mai", "Trinh"),
    "tl": ("Villanueva", "Ramos", "Aquino", "Castillo", "Rivera", "Flores", "Torres", "Gonzales", "Lopez",
           "Navarro", "Dizon", "Manalo", "Pascual", "Salazar", "De Leon"),
    "en": ("Jones", "Miller", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "White", "Harris",
           "Martin", "Lewis", "Walker", "Robinson", "Allen", "Young", "King", "Wright", "Scott", "Green"),
}  # fmt: skip
_OTHER_GIVEN_MORE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "pt": (("Marcos", "Felipe", "Gustavo", "Leonardo", "Thiago", "Diego", "Vinicius", "Andre"),
           ("Larissa", "Leticia", "Mariana", "Patricia", "Vanessa", "Aline")),
    "fr": (("Frantz", "Jean-Claude", "Marc", "Louis", "Daniel", "Patrick", "Ronald", "Stanley"),
           ("Fabienne", "Mirlande", "Roseline", "Nathalie", "Sandra", "Wideline")),
    "hi": (("Arjun", "Deepak", "Manoj", "Ravi", "Suresh", "Ajay", "Navdeep", "Jaswinder"),
           ("Neha", "Ritu", "Simran", "Deepa", "Meena", "Asha")),
    "zh": (("Bin", "Gang", "Peng", "Qiang", "Feng", "Chao", "Yi", "Bo"), ("Hong", "Na", "Ping", "Hui", "Ying", "Juan")),
    "vi": (("Thanh", "Hai", "Khoa", "Duc", "Son", "Vinh", "Binh", "Tam"), ("Ngoc", "Trang", "Phuong", "Anh", "Hanh")),
    "tl": (("Rey", "Jun", "Ramon", "Carlo", "Paolo", "Edwin", "Arnel", "Danilo"), ("Grace", "Joy", "Liza", "Cristina")),
    "en": (("William", "Richard", "Joseph", "Thomas", "Christopher", "Anthony", "Brian", "Jason", "Tyrone"),
           ("Jennifer", "Lisa", "Michelle", "Ashley", "Jessica", "Latoya")),
}  # fmt: skip


def _merge(*lists: tuple[str, ...]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for lst in lists:
        for name in lst:
            seen.setdefault(name, None)
    return tuple(seen)


REG_SURNAMES: dict[str, tuple[str, ...]] = {
    g: _merge(v, _ES_SURNAMES_MORE if g == "es" else _OTHER_SURNAMES_MORE.get(g, ())) for g, v in SURNAMES.items()
}
REG_MALE: dict[str, tuple[str, ...]] = {
    g: _merge(v, _ES_MALE_MORE if g == "es" else _OTHER_GIVEN_MORE.get(g, ((), ()))[0]) for g, v in MALE.items()
}
REG_FEMALE: dict[str, tuple[str, ...]] = {
    g: _merge(v, _ES_FEMALE_MORE if g == "es" else _OTHER_GIVEN_MORE.get(g, ((), ()))[1]) for g, v in FEMALE.items()
}

# Nicknames a feed may carry instead of the registry's given name (inverse of screening.keys.NICKNAMES).
NICKNAMES_OF: dict[str, tuple[str, ...]] = {
    "José": ("Pepe", "Chepe", "Joe"),
    "Francisco": ("Paco", "Pancho", "Frank"),
    "Luis": ("Lucho",),
    "Ignacio": ("Nacho",),
    "Jesús": ("Chuy", "Chucho"),
    "Roberto": ("Beto",),
    "Robert": ("Bob", "Bobby"),
    "Eduardo": ("Lalo", "Eddie"),
    "Guillermo": ("Memo", "Willy"),
    "Antonio": ("Toño", "Tony"),
    "Alejandro": ("Alex",),
    "Javier": ("Javi",),
    "Fernando": ("Fer", "Nando"),
    "Daniel": ("Dani", "Danny"),
    "Ricardo": ("Ricky",),
    "Michael": ("Mike",),
    "James": ("Jimmy", "Jim"),
    "David": ("Dave",),
    "John": ("Johnny",),
    "Guadalupe": ("Lupe", "Lupita"),
    "María": ("Mari",),
    "Patricia": ("Paty",),
    "Verónica": ("Vero",),
    "Juan": ("Juanito",),
    "Carlos": ("Carlitos",),
}
