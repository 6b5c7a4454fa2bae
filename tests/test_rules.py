"""The intake's rules, without HTTP: residence, phone numbers, names, household."""

from datetime import date

import pytest

from portal.desk.rules import (
    PhoneError,
    clean_name,
    display_phone,
    is_plausible_name,
    name_key,
    normalise_phone,
    parse_birth_years,
    residence,
)


@pytest.mark.parametrize(
    ("registered", "on", "newcomer", "months"),
    [
        (date(2026, 5, 4), date(2026, 11, 26), True, 6),
        (date(2026, 11, 26), date(2026, 11, 26), True, 0),
        (date(2025, 11, 27), date(2026, 11, 26), True, 11),
        (date(2025, 11, 26), date(2026, 11, 26), False, 12),
        (date(2019, 3, 1), date(2026, 11, 26), False, 92),
    ],
)
def test_newcomer_until_first_anniversary_of_registration(registered, on, newcomer, months):
    status = residence(registered, on)
    assert (status.is_newcomer, status.months) == (newcomer, months)


def test_leap_day_registration_becomes_long_term_on_first_of_march():
    assert residence(date(2024, 2, 29), date(2025, 2, 28)).is_newcomer
    assert not residence(date(2024, 2, 29), date(2025, 3, 1)).is_newcomer


def test_registration_in_the_future_is_refused():
    with pytest.raises(ValueError):
        residence(date(2026, 12, 1), date(2026, 11, 26))


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0470 12 34 56", "+32470123456"),
        ("0470/12.34.56", "+32470123456"),
        ("+32 470 12 34 56", "+32470123456"),
        ("0032470123456", "+32470123456"),
        ("09 265 71 11", "+3292657111"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+380 50 123 4567", "+380501234567"),
    ],
)
def test_phone_numbers_are_stored_in_international_form(typed, stored):
    assert normalise_phone(typed, "BE") == stored


@pytest.mark.parametrize("typed", ["12", "0470 12", "geen gsm", "+32 999 99 99 99", "<script>"])
def test_impossible_phone_numbers_are_refused(typed):
    with pytest.raises(PhoneError):
        normalise_phone(typed, "BE")


def test_belgian_numbers_read_nationally_foreign_ones_internationally():
    assert display_phone("+32470123456") == "0470 12 34 56"
    assert display_phone("+33612345678") == "+33 6 12 34 56 78"
    assert display_phone(None) == ""


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Ayşe Yılmaz", "ayse yilmaz"),
        ("  Rania   HADDAD ", "rania haddad"),
        ("Jean-Pierre Dubois", "jean pierre dubois"),
        ("O'Neill", "oneill"),
        ("Zoë Müller", "zoe muller"),
    ],
)
def test_name_key_ignores_case_accents_spacing_and_hyphens(one, other):
    assert name_key(one) == name_key(other)


def test_name_key_keeps_different_names_apart():
    assert name_key("Rania Haddad") != name_key("Rami Haddad")


@pytest.mark.parametrize(
    "name", ["Rania Haddad", "Jean-Pierre d'Alembert", "Олена Шевченко", "محمد الحسن", "A. Nowak"]
)
def test_names_in_any_script_are_plausible(name):
    assert is_plausible_name(name)


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "Rania2", "   ", "a@b", "x;y"])
def test_markup_digits_and_symbols_are_not_names(name):
    assert not is_plausible_name(name)


def test_clean_name_collapses_whitespace():
    assert clean_name("  Rania \t Haddad ") == "Rania Haddad"


def test_children_birth_years_are_read_in_any_common_separator():
    assert parse_birth_years("2019, 2015;2021 2010", 2026) == [2010, 2015, 2019, 2021]
    assert parse_birth_years("", 2026) == []


@pytest.mark.parametrize("typed", ["2027", "1990", "20x5", "15", ",".join(["2020"] * 21)])
def test_children_birth_years_outside_childhood_or_garbled_are_refused(typed):
    with pytest.raises(ValueError):
        parse_birth_years(typed, 2026)
