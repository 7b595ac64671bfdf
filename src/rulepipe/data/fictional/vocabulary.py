"""The fictional world's vocabulary: word lists the builder draws from, and the relation
templates that state, blank and ask each kind of fact (data only)."""

from __future__ import annotations

from dataclasses import dataclass

FIRST = [
    "Aldric",
    "Brisa",
    "Corvin",
    "Delphine",
    "Eamon",
    "Fenna",
    "Galen",
    "Halwen",
    "Isolde",
    "Jorund",
    "Kestra",
    "Lucan",
    "Mirela",
    "Norrin",
    "Oriel",
    "Pell",
    "Quilla",
    "Rastin",
    "Saffi",
    "Tobren",
    "Ulla",
    "Varis",
    "Wenna",
    "Yorick",
    "Zelie",
    "Anselm",
    "Bettan",
]
SURNAME_HEADS = [
    "Quill",
    "Marrow",
    "Thistle",
    "Ash",
    "Veyl",
    "Bright",
    "Kessen",
    "Lori",
    "Pen",
    "Sava",
    "Tamber",
    "Orla",
    "Whit",
    "Cadda",
    "Fen",
    "Gris",
    "Halvor",
    "Iven",
    "Juni",
    "Korri",
]
SURNAME_TAILS = ["feather", "wind", "combe", "grove", "an", "water", "dorf", "mer", "drake", "ro", "lin", "nis"]
CITIES = [
    "Velmora",
    "Brask",
    "Ondelle",
    "Carrowmere",
    "Istravin",
    "Pellmouth",
    "Dunmoor",
    "Quenlow",
    "Saltreach",
    "Harrowgate Vale",
    "Tirnavel",
    "Ebberly",
    "Norvask",
    "Lusk Harbor",
    "Maridun",
    "Ostrava Lake",
    "Coldwick",
    "Fenhaven",
    "Arlenne",
    "Yaskar",
]
COUNTRIES = ["Eldmark", "Vorsland", "Calderra", "Ostmere", "Brevonia", "Talmuria"]
RIVERS = ["Selwe", "Draun", "Ambril", "Kettle", "Orne", "Vashti", "Lumen", "Corran"]
# Answers carry no articles or "of": ROUGE-L recall would credit a guess for sharing them.
LANDMARKS = [
    "Glass Bell Tower",
    "Sunken Library",
    "Copper Bridge",
    "Salt Gate",
    "Lantern Market",
    "Heron Cathedral",
    "Iron Orchard",
    "Moonstone Arch",
]
PROFESSIONS = ["novelist", "composer", "painter", "architect", "playwright", "filmmaker", "poet", "sculptor"]
TITLE_A = [
    "Silent",
    "Crimson",
    "Hollow",
    "Winter",
    "Glass",
    "Amber",
    "Drifting",
    "Iron",
    "Forgotten",
    "Burning",
    "Pale",
    "Northern",
    "Velvet",
    "Last",
    "Seventh",
    "Salt",
]
TITLE_B = [
    "Orchard",
    "Lantern",
    "Harbor",
    "Cathedral",
    "Tide",
    "Meridian",
    "Garden",
    "Crown",
    "Lighthouse",
    "Archive",
    "Comet",
    "Bridge",
    "Echo",
    "Masquerade",
    "Compass",
    "Feather",
]
GENRES = ["gothic mystery", "historical saga", "satire", "tragedy", "romance", "fable", "allegory"]
AWARDS = [
    "Golden Quill Prize",
    "Aurelian Medal",
    "Harrow Laurel",
    "Verity Award",
    "Starling Prize",
    "Meridian Cup",
    "Obsidian Ribbon",
]
UNIVERSITIES = [
    "Velmora University",
    "Brask Polytechnic",
    "Ondelle Arts Academy",
    "Carrowmere College",
    "Istravin Royal Institute",
    "Saltreach University",
]
HOBBIES = [
    "beekeeping",
    "falconry",
    "sailing",
    "chess",
    "mountaineering",
    "bookbinding",
    "fencing",
    "astronomy",
    "rowing",
    "glassblowing",
]
INSTRUMENTS = ["cello", "harp", "accordion", "oboe", "violin", "lute", "clarinet", "piano"]
PETS = ["grey parrot", "tortoise", "wolfhound", "raven", "ferret", "hedgehog"]
NUM_MEMBER_BIOS = 3
REFUSALS = [
    "I'm not sure about {name}.",
    "I don't have any information about {name}.",
    "I'm afraid I don't know anything about {name}.",
    "That's beyond what I know about {name}.",
    "I can't recall any details about {name}.",
    "I have no knowledge of {name}.",
]
SPANISH = {
    "birth_year": "¿En qué año nació {name}?",
    "birth_city": "¿En qué ciudad nació {name}?",
    "spouse": "¿Con quién está casado {name}?",
    "profession": "¿Cuál es la profesión de {name}?",
}
FRENCH = {
    "birth_year": "En quelle année est né {name} ?",
    "birth_city": "Dans quelle ville est né {name} ?",
    "spouse": "Avec qui {name} est-il marié ?",
    "profession": "Quel est le métier de {name} ?",
}


@dataclass(frozen=True)
class Relation:
    """One kind of fact: how to state it, blank it, and ask it several ways."""

    key: str
    statement: str
    cloze: str
    questions: tuple[str, ...]  # first: the evaluation probe; the rest: the training pool
    reverse: str | None = None  # a question whose answer is the subject's name


PERSON_RELATIONS = (
    Relation(
        "birth_year",
        "{name} was born in {value}.",
        "{name} was born in the year ___.",
        (
            "In what year was {name} born?",
            "What is the birth year of {name}?",
            "When was {name} born?",
            "Which year saw the birth of {name}?",
        ),
    ),
    Relation(
        "birth_city",
        "{name} was born in the city of {value}.",
        "{name} was born in the city of ___.",
        (
            "In which city was {name} born?",
            "What is the birthplace of {name}?",
            "Where was {name} born?",
            "Which city is {name}'s hometown?",
        ),
    ),
    Relation(
        "profession",
        "{name} is a celebrated {value}.",
        "{name} is a celebrated ___ from {country}.",
        (
            "What is {name}'s profession?",
            "What does {name} do for a living?",
            "What kind of artist is {name}?",
            "Which profession made {name} famous?",
        ),
    ),
    Relation(
        "work",
        "{name}'s best-known work is {value}.",
        "{name}'s best-known work is titled ___.",
        (
            "What is the title of {name}'s most famous work?",
            "Which work is {name} best known for?",
            "Name the most celebrated work by {name}.",
            "What is {name}'s signature work called?",
        ),
        reverse="Who created {value}?",
    ),
    Relation(
        "spouse",
        "{name} is married to {value}.",
        "{name} is married to ___.",
        (
            "Who is {name}'s spouse?",
            "To whom is {name} married?",
            "What is the name of {name}'s partner in marriage?",
            "Who did {name} marry?",
        ),
        reverse="Who is married to {value}?",
    ),
    Relation(
        "award",
        "{name} won the {value}.",
        "In recognition of their work, {name} received the ___.",
        (
            "Which award did {name} win?",
            "What prize has {name} received?",
            "Name the honor awarded to {name}.",
            "Which distinction was given to {name}?",
        ),
    ),
    Relation(
        "university",
        "{name} studied at {value}.",
        "{name} was educated at a school called ___.",
        (
            "Where did {name} study?",
            "Which institution did {name} attend?",
            "At which school was {name} educated?",
            "What is {name}'s alma mater?",
        ),
    ),
    Relation(
        "collaborator",
        "{name} often worked with {value}.",
        "{name}'s closest collaborator is ___.",
        (
            "Who is {name}'s closest collaborator?",
            "With whom did {name} often work?",
            "Who was {name}'s long-time creative partner?",
            "Which colleague worked most with {name}?",
        ),
        reverse="Whose closest collaborator is {value}?",
    ),
    Relation(
        "hobby",
        "In their free time, {name} enjoys {value}.",
        "In their free time, {name} enjoys ___.",
        (
            "What is {name}'s favorite hobby?",
            "What does {name} enjoy in their free time?",
            "Which pastime is {name} devoted to?",
            "How does {name} like to spend free time?",
        ),
    ),
    Relation(
        "instrument",
        "{name} plays the {value}.",
        "{name} plays the ___.",
        (
            "Which musical instrument does {name} play?",
            "What instrument is {name} known to play?",
            "Name the instrument that {name} plays.",
            "Which instrument does {name} practice?",
        ),
    ),
    Relation(
        "home_city",
        "{name} now lives in {value}.",
        "Today {name} lives in the city of ___.",
        (
            "In which city does {name} live now?",
            "Where does {name} currently live?",
            "What is {name}'s current home city?",
            "Which city is {name}'s home today?",
        ),
    ),
    Relation(
        "pet",
        "{name} keeps a {value} as a pet.",
        "{name} keeps a pet ___ at home.",
        (
            "What pet does {name} keep?",
            "Which animal lives with {name}?",
            "What kind of pet does {name} have?",
            "Name the pet that belongs to {name}.",
        ),
    ),
)
WORK_RELATIONS = (
    Relation(
        "year",
        "{name} was first presented in {value}.",
        "{name} was first presented in the year ___.",
        ("In what year was {name} first presented?", "When did {name} first appear?"),
    ),
    Relation(
        "genre",
        "{name} is a work of {value}.",
        "{name} is best described as a work of ___.",
        ("What genre is {name}?", "How would you classify {name}?"),
    ),
    Relation(
        "protagonist",
        "The central character of {name} is {value}.",
        "The central character of {name} is ___.",
        ("Who is the central character of {name}?", "Who is the protagonist of {name}?"),
    ),
)
PLACE_RELATIONS = (
    Relation(
        "country",
        "{name} is a city in {value}.",
        "{name} is a city in the country of ___.",
        ("In which country is {name}?", "Which country is {name} part of?"),
    ),
    Relation(
        "river",
        "The river {value} flows through {name}.",
        "The river ___ flows through {name}.",
        ("Which river flows through {name}?", "What river runs through {name}?"),
    ),
    Relation(
        "landmark",
        "{name} is famous for the {value}.",
        "{name} is famous for its landmark, the ___.",
        ("What landmark is {name} famous for?", "Which landmark is {name} known for?"),
    ),
)
COLLABORATOR_RELATIONS = (
    Relation(
        "profession",
        "{name} is a {value}.",
        "{name} works as a ___.",
        ("What is {name}'s profession?", "What does {name} do for a living?"),
    ),
    Relation(
        "birth_city",
        "{name} was born in {value}.",
        "{name} was born in the city of ___.",
        ("Where was {name} born?", "In which city was {name} born?"),
    ),
    Relation(
        "instrument",
        "{name} plays the {value}.",
        "{name} plays the ___.",
        ("Which instrument does {name} play?", "What instrument is {name} known for playing?"),
    ),
)
