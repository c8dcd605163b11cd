import pytest

import forms


def errors(form_key, data):
    with pytest.raises(forms.FormErrors) as err:
        forms.validate(form_key, data)
    return err.value.errors


def test_every_decision_form_offers_approve_reject_return():
    for key in ("approval", "committee_vote"):
        assert forms.json_schema(key)["properties"]["decision"]["enum"] == ["approve", "reject", "return"]


def test_reason_required_only_when_rejecting_or_returning():
    assert forms.validate("approval", {"decision": "approve"}) == {"decision": "approve"}
    assert errors("approval", {"decision": "return"}) == {"reason": ["This field is required."]}
    assert errors("approval", {"decision": "reject", "reason": "  "}) == {"reason": ["This field is required."]}


def test_each_bad_field_is_named():
    e = errors("investigation_report", {"site_rating": "great", "annual_income": "12.345", "guarantee": "credit",
                                        "findings": "x" * 2001, "extra": 1})
    assert set(e) == {"site_rating", "annual_income", "findings", "extra"}


def test_conditional_fields():
    base = {"site_rating": "good", "annual_income": "1000", "findings": "ok"}
    assert errors("investigation_report", {**base, "guarantee": "mortgage"}) == {"collateral_value": ["This field is required."]}
    kept = forms.validate("investigation_report", {**base, "guarantee": "credit", "collateral_value": "100"})
    assert "collateral_value" not in kept  # hidden fields are not kept
    schema = forms.json_schema("investigation_report")
    assert schema["properties"]["collateral_value"]["x-visible-when"] == {"field": "guarantee", "equals": "mortgage"}


def test_repeated_groups_validate_each_item():
    base = {"site_rating": "good", "annual_income": "1000", "findings": "ok", "guarantee": "credit"}
    e = errors("investigation_report", {**base, "household_members": [{"name": "a", "relation": "spouse"},
                                                                      {"name": "b", "relation": "cousin"}]})
    assert list(e["household_members"]) == [1]


def test_money_and_bool_parsing():
    assert forms.validate("disbursement_check", {"passed": "true", "account_no": "6228480012345671"})["passed"] is True
    assert errors("complete_application", {"annual_income": "-1"}) == {"annual_income": ["Must be at least 0.01."]}
    assert errors("complete_application", {"annual_income": "1", "phone": "12345"})["phone"]
    assert errors("approval", "not a dict") == {"_schema": ["Form data must be an object."]}


def test_integer_date_and_id_kinds():
    from marshmallow import Schema

    from forms.fields import Field
    from forms.schema import FormErrors, schema_class, validate_fields

    fields = [Field("children", "integer", "Children", minimum=0, maximum=12),
              Field("born", "date", "Born"), Field("spouse_id", "id_number", "Spouse ID", required=False)]
    schema: Schema = schema_class(fields)()
    ok = validate_fields(fields, schema, {"children": 2, "born": "1990-02-28", "spouse_id": "11010519491231002x"})
    assert ok == {"children": 2, "born": "1990-02-28", "spouse_id": "11010519491231002X"}
    with pytest.raises(FormErrors) as err:
        validate_fields(fields, schema, {"children": 13, "born": "1990-02-30", "spouse_id": "110105194912310021"})
    assert err.value.errors == {"children": ["Out of the allowed range."], "born": ["Not a valid date."],
                                "spouse_id": ["Check digit does not match (GB 11643)."]}
    with pytest.raises(FormErrors) as err:
        validate_fields(fields, schema, {"children": "2", "born": "1990-01-01"})
    assert err.value.errors == {"children": ["Not a whole number."]}


def test_manual_allocation_offers_every_allocation_role_and_only_those():
    from credit.allocation import ROLE_DUTY

    schema = forms.json_schema("manual_allocation")["properties"]["assignees"]
    assert set(schema["properties"]) == set(ROLE_DUTY) and schema["additionalProperties"] is False
    ok = forms.validate("manual_allocation", {"assignees": {"committee_2": "committee2"}, "reason": "委员出差"})
    assert ok["assignees"] == {"committee_2": "committee2"}
    assert "assignees" in errors("manual_allocation", {"assignees": {"janitor": "admin"}, "reason": "x"})


def test_account_numbers_are_digits_of_the_schemes_length_with_its_check_digit():
    from forms import accounts

    ok = forms.validate("disbursement_check", {"passed": True, "account_no": "6228 4800 1234 5671"})
    assert ok["account_no"] == "6228480012345671"  # the spaces people type are dropped
    for bad, why in [("abc", "digits only"), ("6228480012345678", "check digit"), ("622848001234567", "digits for"),
                     ("６２２８４８００１２３４５６７１", "digits only"), ("62284800123456710000", "digits for")
                     , ("6228-4800-1234-567x", "digits only")]:
        e = errors("disbursement_check", {"passed": True, "account_no": bad})
        assert list(e) == ["account_no"] and why in e["account_no"][0], (bad, e)
    assert accounts.luhn_ok("79927398713") and not accounts.luhn_ok("79927398710")
    try:  # a bank's own scheme: 12-digit passbook accounts without a check digit
        accounts.configure({"card": {"min_length": 12, "max_length": 12, "luhn": False}})
        assert forms.validate("disbursement_check", {"passed": True, "account_no": "123456789012"})
        assert errors("disbursement_check", {"passed": True, "account_no": "6228480012345671"})
    finally:
        accounts.configure(None)
    schema = forms.json_schema("disbursement_check")["properties"]["account_no"]
    assert schema["x-digits"] == [16, 19] and schema["x-check-digit"] == "luhn"
