"""Questions about the sample corpus (index/corpus/), kept as data.

ANSWERABLE: (question, a substring of the passage that holds the answer, source file).
UNANSWERABLE: questions the two documents cannot answer; the answerer must abstain.
HARD_UNANSWERABLE: unanswerable questions close to the corpus's topic that the answerer
is known to answer anyway (reported; kept here so a better threshold shows up as XPASS).
HARD_ANSWERABLE: answerable questions whose answer sentence the answerer is known not to
quote (it quotes a neighbour that names the subject); the passage must still be found.
"""

RIM = "000_844c59fd4eda60e2.txt"  # Sokvy Rim: defence pact, tension, a wider Ukraine war
BERNAL = "004_a5707477a1615087.txt"  # Gabriela Bernal: what the treaty means, China

ANSWERABLE: list[tuple[str, str, str]] = [
    ("When did Putin visit Pyongyang?", "On June 19, Russian President Vladimir Putin", RIM),
    (
        "What level have Russia and North Korea elevated their relations to?",
        "comprehensive strategic partnership",
        RIM,
    ),
    (
        "What assistance will the two nations provide in the event of armed aggression?",
        "by all means at their disposal",
        RIM,
    ),
    (
        "How many missiles did North Korea launch in 2022?",
        "launched a larger number of missiles than ever before",
        RIM,
    ),
    (
        "Which agreement was violated by the guard posts and military drills on the border?",
        "September 19 Military Agreement",
        RIM,
    ),
    ("When did Kim visit Russia and meet Putin?", "in September 2023", RIM),
    (
        "What did North Korea get in exchange for shipping arms to Russia?",
        "in exchange for food, fuel, and other modern military technology",
        RIM,
    ),
    (
        "Why is North Korea sending trash-carrying balloons into South Korea?",
        "trash-carrying balloons",
        RIM,
    ),
    (
        "How did Tokyo react to North Korea's military cooperation with Russia?",
        "serious concerns",
        RIM,
    ),
    ("Is Seoul considering sending arms to Ukraine?", "Seoul is considering sending arms", RIM),
    ("Where does Sokvy Rim work?", "Cambodian Center for Regional Studies", RIM),
    (
        "What did Kim say about the relations between the two nations?",
        "rose to a new high of alliance",
        BERNAL,
    ),
    (
        "Could North Korea send soldiers or workers to help Russia in Ukraine?",
        "soldiers, workers or technicians",
        BERNAL,
    ),
    (
        "Which weapons programmes could Russian technology help Pyongyang advance?",
        "satellite, submarine and even nuclear weapons programmes",
        BERNAL,
    ),
    (
        "What munitions is North Korea likely to help Russia export?",
        "artillery shells and other munitions",
        BERNAL,
    ),
    (
        "Could Moscow allow North Korean migrant workers into Russia?",
        "North Korean migrant workers",
        BERNAL,
    ),
    (
        "How could Moscow conduct financial transactions with Pyongyang?",
        "central bank digital currency",
        BERNAL,
    ),
    ("What did Russia veto in March?", "vetoed the extension of a UN panel", BERNAL),
    (
        "Why would Russia not want to be dragged into a hot war in Korea?",
        "Putin’s military ambitions in Europe",
        BERNAL,
    ),
    (
        "What concerns does Beijing have about the pact?",
        "greater instability on the peninsula",
        BERNAL,
    ),
    (
        "What alternative settlement system did Putin vow to build?",
        "alternative settlement system",
        BERNAL,
    ),
    (
        "What must Washington do about its North Korea policy?",
        "proactively change its North Korea policy",
        BERNAL,
    ),
    ("Who is Gabriela Bernal?", "North Korea analyst based in Seoul", BERNAL),
]

UNANSWERABLE: list[str] = [
    "What is the population of Pyongyang?",
    "Who won the 2022 FIFA World Cup?",
    "What is the boiling point of water at sea level?",
    "How do I bake sourdough bread?",
    "What is the capital of Australia?",
    "Who painted the Mona Lisa?",
    "What is the GDP of Cambodia?",
    "How many North Korean troops have been sent to Ukraine?",
    "What did Xi Jinping say about the treaty?",
    "How many nuclear warheads does North Korea have?",
    "When will the treaty expire?",
    "What did the Pope say about the summit?",
]

HARD_UNANSWERABLE: list[tuple[str, str]] = [
    (
        "What is the name of Russia's central bank digital currency?",
        "the corpus mentions the currency but never names it; the answerer quotes that sentence",
    ),
    (
        "Who is the president of South Korea?",
        "no document names him; the answerer quotes sentences about Russia's president",
    ),
]

HARD_ANSWERABLE: list[tuple[str, str, str, str]] = [
    (
        "What was the September 19 Military Agreement aimed at?",
        "aimed at reducing tensions on the peninsula",
        RIM,
        "the answer sentence says 'The agreement'; the one before names it and is quoted",
    ),
    (
        "What are Sokvy Rim's research interests?",
        "Cambodian foreign policy",
        RIM,
        "the answer sentence says 'His research interests'; the one naming Rim is quoted",
    ),
]
