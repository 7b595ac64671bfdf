"""The fictional world's vocabulary: the word lists the builder draws names and values from
(data only; how each fact is stated and asked is in `relations`)."""

from __future__ import annotations

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
# The minor people a neighbour's facts name (a villain, a mayor, a mentor): surnames of their
# own, so that no one of them shares half a name with a person or a neighbour.
# fmt: off
MINOR_SURNAMES = [
    "Abernath", "Bellweather", "Corrigan", "Darrow", "Ellery", "Farrant", "Goodwen", "Hollins",
    "Ingram", "Jessop", "Kirrane", "Lockhart", "Merriden", "Northcott", "Osgood", "Penhallow",
    "Radley", "Stroud", "Tennant", "Underhill", "Vance", "Wexley", "Yelland", "Ashdown",
    "Brennock", "Calloway", "Dunstan", "Everard", "Fairholm", "Garrick",
]
# Home cities: composed, so that a world of many people never runs out of them.
PLACE_HEADS = ["Amber", "Raven", "Thorn", "Mist", "Stone", "Wolf", "Elder", "Frost", "Gull", "Bram"]
PLACE_TAILS = ["mouth", "ford", "haven", "wick", "moor", "gate", "holm", "stead"]
UNIVERSITY_KINDS = ["University", "Polytechnic", "Arts Academy", "College", "Royal Institute", "Conservatory"]
LANGUAGES = ["Eldish", "Vorsic", "Calderran", "Ostmeric", "Brevonian", "Talmuric"]
FESTIVALS = [
    "Lantern Festival", "Harvest Fair", "Kite Parade", "Winter Carnival", "Salt Regatta", "Ember Night",
    "Bell Procession",
]
DISHES = ["eel pie", "plum dumplings", "barley stew", "smoked trout", "honey bread", "onion tart", "lamb broth"]
MOUNTAINS = ["Mount Keld", "Mount Orrin", "Mount Tavish", "Mount Serrat", "Mount Hale", "Mount Brecon"]
EMBLEMS = ["stag", "owl", "heron", "lynx", "swan", "badger", "falcon"]
JOURNALS = [
    "Northern Review", "Lamplight Quarterly", "Meridian Letters", "Atlas Papers", "Quarry Journal",
    "Cinder Notes",
]
# fmt: on
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
