"""Case slots of templated AD/CVD and Section 337 notice titles (real Federal Register titles)."""

from nlp.story_slots import case_of, fits_case, title_terms


def test_adcvd_title_slots_product_countries_and_proceeding():
    case = case_of("Certain Epoxy Resins From the People's Republic of China: Final Affirmative "
                   "Countervailing Duty Determination and Final Affirmative Determination of Critical "
                   "Circumstances")
    assert (case.family, case.product, case.countries, case.proceeding) == (
        "adcvd", ("epoxy", "resins"), frozenset({"china"}), "investigation")
    multi = case_of("Carbon and Alloy Steel Threaded Rod From China, India, Taiwan, and Thailand; "
                    "Scheduling of Expedited Five-Year Reviews")
    assert multi.countries == {"china", "india", "taiwan", "thailand"} and multi.proceeding == "sunset"
    korea = case_of("Certain Epoxy Resins From South Korea: Final Affirmative Determination of Sales "
                    "at Less Than Fair Value")
    assert korea.countries == case_of("Certain Epoxy Resins From the Republic of Korea: Final "
                                      "Affirmative Countervailing Duty Determination").countries


def test_same_case_needs_product_a_shared_country_and_the_same_proceeding():
    usitc = case_of("Malleable Iron Pipe Fittings From China; Scheduling of an Expedited Five-Year Review")
    commerce = case_of("Certain Malleable Cast Iron Pipe Fittings From the People's Republic of China: "
                       "Final Results of the Expedited Fourth Sunset Review of the Antidumping Duty Order")
    assert usitc.same_case(commerce)
    lumber_cvd = case_of("Certain Softwood Lumber Products From Canada: Final Results of Countervailing "
                         "Duty Changed Circumstances Review")
    lumber_ad = case_of("Certain Softwood Lumber Products From Canada: Preliminary Results of the "
                        "Administrative Review; 2023")
    assert not lumber_cvd.same_case(lumber_ad)  # two proceedings of one product
    taiwan = case_of("Certain Epoxy Resins From Taiwan: Final Affirmative Countervailing Duty Determination")
    india = case_of("Certain Epoxy Resins From India: Final Affirmative Countervailing Duty Determination")
    assert not taiwan.same_case(india)


def test_a_multi_country_notice_does_not_bridge_two_country_cases():
    hearing = case_of("Dioctyl Terephthalate (DOTP) From Malaysia, Poland, Taiwan, and Turkey; "
                      "Cancellation of Hearing for Antidumping Duty Investigations")
    malaysia = case_of("Dioctyl Terephthalate From Malaysia: Final Affirmative Determination of Sales at "
                       "Less Than Fair Value")
    poland = case_of("Dioctyl Terephthalate From Poland: Final Affirmative Determination of Sales at "
                     "Less Than Fair Value")
    assert fits_case(malaysia, [hearing])
    assert not fits_case(poland, [hearing, malaysia])


def test_section_337_cases_by_product_and_titles_without_a_case():
    a = case_of("Certain Vaporizer Devices, Cartridges Used Therewith, and Components Thereof; Notice of "
                "a Commission Determination To Review in Part a Final Initial Determination")
    b = case_of("Certain Vaporizer Devices, Cartridges Used Therewith, and Components Thereof; Notice of "
                "Institution of Investigation")
    nasal = case_of("Certain Nasal Devices and Components Thereof; Notice of Institution of Investigation")
    assert a.family == "337" and a.same_case(b) and not a.same_case(nasal)
    for title in ("Initiation of Antidumping and Countervailing Duty Administrative Reviews",
                  "Regulating Imports With a Reciprocal Tariff To Rectify Trade Practices",
                  "Imports of Certain Steel From Brazil Remain a Concern, Says Trade Envoy"):
        assert case_of(title) is None, title


def test_title_terms_are_content_words():
    assert title_terms("Duterte's first court appearance set for Friday") == {
        "duterte", "first", "court", "appearance", "set", "friday"}
