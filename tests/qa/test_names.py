"""qa.names: the proper names and numbers of a claim must stand in its evidence."""

from qa.names import missing_names, stated_names

SUMMIT = (
    "On June 19, Russian President Vladimir Putin paid an official visit to Pyongyang and held "
    "a summit with North Korean leader Kim Jong Un."
)


def test_names_are_capitalised_words_after_the_first_and_numbers():
    assert stated_names("The pact was signed in Vienna on 3 March by Kim’s envoy.") == [
        "vienna",
        "3",
        "march",
        "kim",
    ]


def test_a_name_the_question_brings_must_stand_in_the_evidence_itself():
    claim = "Kim Jong Un travelled to Moscow for the June summit."
    passage = f"{SUMMIT} North Korea expects more aid from Moscow."
    question = "Why did Kim Jong Un travel to Moscow for the June summit?"
    # A false premise echoed: Moscow is elsewhere in the passage, but not in the evidence.
    assert missing_names(claim, [SUMMIT], question, [passage]) == ["moscow"]
    # A name the question does not bring may come from anywhere in the passages.
    assert missing_names(claim, [SUMMIT], "Why did Kim go?", [passage]) == []
    assert missing_names(claim, [SUMMIT], "Why did Kim go?", [SUMMIT]) == ["moscow"]


def test_word_forms_of_a_name_count_but_other_numbers_do_not():
    assert missing_names("Putin met Kim in Pyongyang on June 19 in Russia.", [SUMMIT]) == []
    assert missing_names("The Western press called it a pact.", ["concerns in the West"]) == []
    assert missing_names("Putin visited on June 9.", [SUMMIT]) == ["9"]
    assert missing_names("The summit was held by the UN.", ["the US and the UK"]) == ["un"]


def test_an_abbreviation_with_dots_is_one_name_however_it_is_spaced():
    # The reader wrote "U. S. Open" for the passage's "US Open"; it was refused as unstated.
    claim = "Emma Raducanu won the women's singles U. S. Open in 2021."
    evidence = ["Emma Raducanu won the 2021 US Open women's singles title."]
    assert stated_names(claim) == ["raducanu", "us", "open", "2021"]
    assert missing_names(claim, evidence, "Who won the U.S. Open in 2021?", evidence) == []
