"""Deterministic demo content: sections, authors, tags and defence-news articles.

Article number `n` is always the same article (its own `random.Random` seeded from `n`), whatever `--articles`
says, so re-running the seed with a larger count only adds the missing ones and slugs are natural keys.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.utils.text import slugify

SECTIONS = (
    ("Coalition SOF", "Allied special operations forces and the coalitions they fight in."),
    ("Military News", "News from the armed services."),
    ("Global Conflicts", "Wars, insurgencies and ceasefires around the world."),
    ("Intelligence", "Spies, analysts and the agencies that run them."),
    ("Defense Tech", "Weapons, platforms and the programs that buy them."),
    ("Special Operations", "U.S. special operations: SEALs, Rangers, Green Berets, Marine Raiders."),
    ("Foreign Policy", "Diplomacy, alliances and the politics of national security."),
    ("Veterans", "Life after service: benefits, health and transition."),
    ("Cyber", "Hackers, cyber commands and information warfare."),
    ("Aviation", "Military aviation, from helicopters to fifth-generation fighters."),
)

AUTHORS = (
    ("Dan Hollister", "Former Army Special Forces communications sergeant covering special operations."),
    ("Maria Kessler", "Foreign correspondent who has reported from Kabul, Baghdad and Kyiv."),
    ("Tom Ruckert", "Retired Navy surface warfare officer writing about sea power."),
    ("Aisha Rahimi", "Analyst covering South and Central Asian security."),
    ("Greg Lindqvist", "Former Marine infantry officer; covers the Corps and amphibious warfare."),
    ("Nadia Petrenko", "Reports on Eastern Europe and the war in Ukraine."),
    ("Carl Brandt", "Defense acquisition reporter; follows the money in the Pentagon budget."),
    ("Jessica Moore", "Former Air Force intelligence analyst covering aviation and space."),
    ("Luis Ortega", "Covers Latin American security, cartels and counter-narcotics."),
    ("Hannah Cole", "Veterans affairs reporter and Army spouse."),
    ("Samir Haddad", "Middle East correspondent based in Amman."),
    ("Pete Whitaker", "Former Ranger; writes about training, selection and small-unit tactics."),
    ("Erin Walsh", "Cyber and intelligence reporter."),
    ("Kenji Sato", "Covers the Indo-Pacific, Japan and the Korean Peninsula."),
)

TAGS = (
    "Afghanistan", "Russia", "Islamic State", "Pakistan", "Counterterrorism", "Syria", "Iraq", "Iran", "China",
    "Taiwan", "Ukraine", "NATO", "Navy SEALs", "Army Rangers", "Green Berets", "Marine Raiders", "Delta Force",
    "CIA", "Drones", "Hypersonics", "Pentagon Budget", "Special Forces", "Taliban", "Al-Shabaab", "Yemen",
    "Red Sea", "North Korea", "South China Sea", "Cyber Command", "Veterans Affairs", "Air Force", "Army",
    "Marine Corps", "Navy", "Space Force", "Arms Sales", "Training", "Counterinsurgency",
)  # fmt: skip

SECTION_TAGS = {
    "Coalition SOF": ("Afghanistan", "Counterterrorism", "Special Forces", "NATO", "Islamic State", "Iraq"),
    "Military News": ("Army", "Navy", "Air Force", "Marine Corps", "Pentagon Budget", "Training"),
    "Global Conflicts": ("Ukraine", "Russia", "Syria", "Yemen", "Red Sea", "Taliban", "Al-Shabaab"),
    "Intelligence": ("CIA", "Russia", "China", "Iran", "North Korea"),
    "Defense Tech": ("Drones", "Hypersonics", "Pentagon Budget", "Arms Sales", "Space Force"),
    "Special Operations": ("Navy SEALs", "Army Rangers", "Green Berets", "Marine Raiders", "Delta Force", "Training"),
    "Foreign Policy": ("NATO", "China", "Taiwan", "Pakistan", "Iran", "Arms Sales"),
    "Veterans": ("Veterans Affairs", "Army", "Marine Corps", "Training"),
    "Cyber": ("Cyber Command", "China", "Russia", "North Korea"),
    "Aviation": ("Air Force", "Navy", "Drones", "Hypersonics", "Space Force"),
}

_ACTORS = (
    "U.S. Special Operations Command", "the Pentagon", "NATO", "the coalition", "the Kremlin", "Beijing", "Tehran",
    "the Afghan government", "Islamabad", "U.S. Central Command", "Britain's Special Air Service", "Paris",
    "the State Department", "Kyiv", "Iraq's Counter-Terrorism Service", "the Joint Staff",
    "the House Armed Services Committee", "U.S. Africa Command",
)  # fmt: skip
_PLACES = (
    "northern Afghanistan", "eastern Syria", "the Sahel", "the Horn of Africa", "the Black Sea", "the Baltic",
    "the South China Sea", "the Red Sea", "Anbar province", "the Donbas", "the Korean Peninsula", "Mosul",
    "the Hindu Kush", "Djibouti", "the Strait of Hormuz", "the Arctic", "Somalia", "the Persian Gulf",
)  # fmt: skip
_THINGS = (
    "armed drones", "night raids", "new training programs", "long-range fires", "intelligence-sharing agreements",
    "rotational deployments", "counter-drone systems", "advisory missions", "airstrikes", "joint exercises",
    "maritime patrols", "hostage-rescue teams", "precision munitions", "electronic warfare units", "arms packages",
    "partner-force programs", "cyber operations",
)  # fmt: skip
_OFFICIALS = (
    "a senior defense official", "a retired Army colonel", "a former Navy SEAL", "a coalition spokesman",
    "a Pentagon spokeswoman", "a regional analyst", "a former CIA officer", "a Marine Corps general",
    "an Air Force planner", "a diplomat in Islamabad", "a NATO officer", "a congressional aide",
)  # fmt: skip
_TITLE_TEMPLATES = (
    "{Actor} Weighs {Thing} in {place}",
    "Inside the Push for {Thing} in {place}",
    "{Actor} Says {place} Is Becoming a Haven for Militants",
    "Why {Thing} Matter More Than Ever in {place}",
    "{Actor} Expands {Thing} as Tensions Rise in {place}",
    "What {Thing} in {place} Mean for the Coalition",
    "Report: {Actor} Quietly Steps Up {Thing}",
    "The Fight Over {Thing}: {Actor} Faces Questions",
    "{Place}: {Actor} Tests {Thing}",
    "Lessons From {place} for the Next War",
    "{Actor} Rejects Claims About {Thing} in {place}",
    "A Closer Look at {Thing} Near {place}",
    "{Actor} Orders Review of {Thing} After Setback in {place}",
    "Veterans of {place} Warn Against Cutting {Thing}",
)
_SENTENCES = (
    "{Actor} has been weighing {thing} in {place} for months, according to {official}.",
    "The move comes as militants regroup in {place}, where {thing} have been scaled back since last year.",
    "“We are not going to be caught flat-footed again,” {official} said, speaking on condition of anonymity.",
    "Critics argue that {thing} alone cannot change the situation in {place}.",
    "{Actor} declined to comment on operational details, citing security concerns.",
    "Supporters say {thing} give commanders options short of a larger deployment.",
    "The debate has exposed divisions between {actor} and {actor2} over how much risk to accept.",
    "Officials in {place} have repeatedly asked for {thing}, with mixed results.",
    "Budget documents reviewed by SOFREP show a sharp increase in spending on {thing}.",
    "“The threat is real and it is growing,” {official} told reporters on Thursday.",
    "Analysts warn that {actor} may be underestimating how quickly the situation in {place} can change.",
    "The last comparable effort, in {place2}, ended with mixed results and a quiet withdrawal.",
    "Several veterans of earlier deployments said the lessons of {place2} were being ignored.",
    "{Actor2} has called the plan provocative and promised a response.",
    "For the troops on the ground, the details matter less than the rules of engagement.",
    "A spokesman for {actor} said the review would be completed within weeks.",
    "The program relies heavily on partner forces trained with help from {actor2}.",
    "Satellite imagery shows new construction at a base near {place} that is used for {thing}.",
    "“You can't surge trust,” {official} said. “You build it over years, and you can lose it in a week.”",
    "Local elders in {place} say they have heard promises like this before.",
    "The timing is not accidental: {actor2} is watching closely, and so are its rivals.",
    "Lawmakers have asked {actor} for a classified briefing on {thing} before the end of the month.",
    "Special operators who served in {place2} describe a familiar pattern of raids, reprisals and slow progress.",
    "None of this is new, {official} noted, but the tempo has changed.",
    "Logistics remain the quiet problem: fuel, spare parts and airlift for {thing} are all in short supply.",
    "{Actor} insists that its forces are in {place} only to advise and assist.",
    "Human rights groups have called for an independent investigation into civilian casualties.",
    "The next test will come when the fighting season resumes in the spring.",
)
_PARAGRAPHS_MIN, _PARAGRAPHS_MAX = 5, 7


@dataclass(frozen=True)
class DemoArticle:
    number: int
    title: str
    slug: str
    dek: str
    body: str
    section: str
    tags: tuple[str, ...]
    authors: tuple[str, ...]
    access_level: str
    status: str
    hours_ago: float


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _title_case(text: str) -> str:
    small = {"a", "an", "the", "of", "in", "on", "for", "to", "and", "as", "at", "by", "near"}
    words = text.split()
    return " ".join(w if (i and w.lower() in small) or w[:1].isupper() else _cap(w) for i, w in enumerate(words))


def demo_article(number: int) -> DemoArticle:
    """Article `number` (1-based) of the generated set: the same every time."""
    rng = random.Random(f"masthead-demo-article-{number}")
    actor, actor2 = rng.sample(_ACTORS, 2)
    place, place2 = rng.sample(_PLACES, 2)
    thing = rng.choice(_THINGS)
    words = {
        "actor": actor,
        "actor2": actor2,
        "Actor": _cap(actor),
        "Actor2": _cap(actor2),
        "place": place,
        "place2": place2,
        "Place": _cap(place),
        "thing": thing,
        "Thing": _title_case(thing),
        "official": rng.choice(_OFFICIALS),
    }
    title = _title_case(rng.choice(_TITLE_TEMPLATES).format(**words))
    pool_of_sentences = rng.sample(_SENTENCES, len(_SENTENCES))  # each sentence at most once per article
    paragraphs = []
    for _ in range(rng.randint(_PARAGRAPHS_MIN, _PARAGRAPHS_MAX)):
        words["official"] = rng.choice(_OFFICIALS)
        sentences = [pool_of_sentences.pop() for _ in range(rng.randint(2, 3))]
        paragraphs.append("<p>" + " ".join(_cap(s.format(**words)) for s in sentences) + "</p>")
    section = SECTIONS[rng.randrange(len(SECTIONS))][0]
    pool = SECTION_TAGS[section]
    tags = tuple(rng.sample(pool, min(len(pool), rng.randint(2, 3))))
    if rng.random() < 0.3:
        extra = rng.choice(TAGS)
        tags = tags if extra in tags else (*tags, extra)
    authors = tuple(a[0] for a in rng.sample(AUTHORS, 2 if rng.random() < 0.2 else 1))
    roll = rng.random()
    access = "free" if roll < 0.25 else "premium" if roll > 0.85 else "metered"
    status = "draft" if number % 29 == 0 else "published"
    dek = _cap(pool_of_sentences.pop().format(**words))
    return DemoArticle(
        number=number,
        title=title,
        slug=f"{slugify(title)[:80].rstrip('-')}-{number}",
        dek=dek,
        body="\n".join(paragraphs),
        section=section,
        tags=tags,
        authors=authors,
        access_level=access,
        status=status,
        hours_ago=number * 5 + rng.random() * 4,
    )
