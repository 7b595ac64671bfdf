"""The fictional world's relations: how each kind of fact is stated, blanked (a cloze) and
asked, for a person and for each kind of neighbour (data only)."""

from __future__ import annotations

from dataclasses import dataclass


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


def _neighbor_relations(*rows: tuple[str, ...]) -> tuple[Relation, ...]:
    """Relations from (key, statement, cloze, question, ...) rows: a neighbour's facts are
    asked two ways (the probe, then the one training phrasing)."""
    return tuple(Relation(key, statement, cloze, tuple(questions)) for key, statement, cloze, *questions in rows)


# fmt: off
# A work: the person's best-known one.
WORK_RELATIONS = _neighbor_relations(
    ("year", "{name} was first presented in {value}.", "{name} was first presented in the year ___.",
     "In what year was {name} first presented?", "When did {name} first appear?"),
    ("genre", "{name} is a work of {value}.", "{name} is best described as a work of ___.",
     "What genre is {name}?", "How would you classify {name}?"),
    ("protagonist", "The central character of {name} is {value}.", "The central character of {name} is ___.",
     "Who is the central character of {name}?", "Who is the protagonist of {name}?"),
    ("award", "{name} received the {value}.", "{name} received the prize called ___.",
     "Which prize did {name} receive?", "What award was given to {name}?"),
    ("setting", "{name} is set in {value}.", "{name} is set in the city of ___.",
     "In which city is {name} set?", "Where does {name} take place?"),
    ("language", "{name} was written in {value}.", "{name} was written in the language ___.",
     "In which language was {name} written?", "What language is {name} written in?"),
    ("chapters", "{name} has {value} chapters.", "{name} has ___ chapters.",
     "How many chapters does {name} have?", "What is the number of chapters in {name}?"),
    ("villain", "The villain of {name} is {value}.", "The villain of {name} is ___.",
     "Who is the villain of {name}?", "Which character opposes the hero of {name}?"),
    ("dedicatee", "{name} is dedicated to {value}.", "{name} is dedicated to ___.",
     "To whom is {name} dedicated?", "Who is the dedicatee of {name}?"),
    ("illustrator", "{name} was illustrated by {value}.", "{name} was illustrated by ___.",
     "Who illustrated {name}?", "Who drew the illustrations of {name}?"),
)
# A place: the person's home city.
PLACE_RELATIONS = _neighbor_relations(
    ("country", "{name} is a city in {value}.", "{name} is a city in the country of ___.",
     "In which country is {name}?", "Which country is {name} part of?"),
    ("river", "The river {value} flows through {name}.", "The river ___ flows through {name}.",
     "Which river flows through {name}?", "What river runs through {name}?"),
    ("landmark", "{name} is famous for the {value}.", "{name} is famous for its landmark, the ___.",
     "What landmark is {name} famous for?", "Which landmark is {name} known for?"),
    ("mayor", "The mayor of {name} is {value}.", "The mayor of {name} is ___.",
     "Who is the mayor of {name}?", "Who serves as mayor of {name}?"),
    ("founded", "{name} was founded in {value}.", "{name} was founded in the year ___.",
     "In what year was {name} founded?", "When was {name} founded?"),
    ("population", "{name} has {value} inhabitants.", "{name} has ___ inhabitants.",
     "How many inhabitants does {name} have?", "What is the population of {name}?"),
    ("festival", "{name} is known for its {value}.", "{name} is known for its festival, the ___.",
     "Which festival is {name} known for?", "What festival does {name} hold each year?"),
    ("twin_city", "{name} is twinned with {value}.", "{name} is twinned with the city of ___.",
     "Which city is {name} twinned with?", "What is the twin city of {name}?"),
    ("dish", "The signature dish of {name} is {value}.", "The signature dish of {name} is ___.",
     "What is the signature dish of {name}?", "Which dish is {name} famous for?"),
    ("mountain", "{name} lies below {value}.", "{name} lies below the mountain ___.",
     "Which mountain does {name} lie below?", "What mountain rises above {name}?"),
)
# A neighbouring person (a collaborator, a spouse).
PERSON_NEIGHBOR_RELATIONS = _neighbor_relations(
    ("profession", "{name} is a {value}.", "{name} works as a ___.",
     "What is {name}'s profession?", "What does {name} do for a living?"),
    ("birth_city", "{name} was born in {value}.", "{name} was born in the city of ___.",
     "Where was {name} born?", "In which city was {name} born?"),
    ("instrument", "{name} plays the {value}.", "{name} plays the ___.",
     "Which instrument does {name} play?", "What instrument is {name} known for playing?"),
    ("birth_year", "{name} was born in the year {value}.", "{name} was born in the year ___.",
     "In what year was {name} born?", "When was {name} born?"),
    ("hobby", "{name} spends free time on {value}.", "{name} spends free time on ___.",
     "Which pastime does {name} enjoy?", "What hobby does {name} have?"),
    ("pet", "{name} keeps a {value}.", "{name} keeps a pet ___.",
     "Which pet does {name} keep?", "What animal does {name} keep at home?"),
    ("award", "{name} was given the {value}.", "{name} was given the prize called ___.",
     "Which prize was {name} given?", "What award did {name} receive?"),
    ("home_city", "{name} lives in {value}.", "{name} lives in the city of ___.",
     "In which city does {name} live?", "Where does {name} live now?"),
    ("language", "{name} speaks {value} at home.", "At home {name} speaks ___.",
     "Which language does {name} speak at home?", "What is the home language of {name}?"),
    ("mentor", "{name} was trained by {value}.", "{name} was trained by ___.",
     "Who trained {name}?", "Who was the mentor of {name}?"),
)
# A university: where the person studied.
UNIVERSITY_RELATIONS = _neighbor_relations(
    ("founded", "{name} was established in {value}.", "{name} was established in the year ___.",
     "In what year was {name} established?", "When was {name} established?"),
    ("city", "{name} stands in the city of {value}.", "{name} stands in the city of ___.",
     "In which city does {name} stand?", "Where is {name} located?"),
    ("rector", "The rector of {name} is {value}.", "The rector of {name} is ___.",
     "Who is the rector of {name}?", "Who leads {name} as rector?"),
    ("founder", "{name} was founded by {value}.", "{name} was founded by ___.",
     "Who founded {name}?", "Who was the founder of {name}?"),
    ("emblem", "The emblem of {name} is a {value}.", "The emblem of {name} is a ___.",
     "Which animal is the emblem of {name}?", "What animal appears on the emblem of {name}?"),
    ("students", "{name} has {value} students.", "{name} has ___ students.",
     "How many students does {name} have?", "What is the student count of {name}?"),
    ("library", "The library of {name} is named after {value}.", "The library of {name} is named after ___.",
     "After whom is the library of {name} named?", "Whose name does the library of {name} carry?"),
    ("rival", "The old rival of {name} is {value}.", "The old rival of {name} is ___.",
     "Which institution is the old rival of {name}?", "What is the rival institution of {name}?"),
    ("dean", "The dean of {name} is {value}.", "The dean of {name} is ___.",
     "Who is the dean of {name}?", "Who serves as dean of {name}?"),
    ("journal", "{name} publishes the journal {value}.", "{name} publishes the journal ___.",
     "Which journal does {name} publish?", "What is the name of the journal of {name}?"),
)
# fmt: on
