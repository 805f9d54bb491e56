"""The official twilio package (PyPI) against the stateful mock, through the
mimeo_mock fixture that the mimeo-mock wheel registers as a pytest plugin:
every Memory identifier operation and a store deletion, checking what the
library hands back."""

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client
from twilio.rest.memory.v1.identifier import IdentifierList

STORE = "mem_store_00000000000000000000000001"
PROFILE = "mem_profile_00000000000000000000000001"


def memory_for(mock, account_sid):
    """A client whose Memory requests go to the mock: the library keeps the
    Memory host in the domain's base_url (twilio/rest/memory/MemoryBase.py,
    twilio/base/domain.py)."""
    client = Client(account_sid, "not-a-real-token")
    client.memory.base_url = mock.url
    return client.memory.v1


def add(memory, id_type, value):
    return memory.identifiers(STORE, PROFILE).create(
        IdentifierList.Identifier({"idType": id_type, "value": value})
    )


def values(memory, id_type):
    return memory.identifiers(STORE, PROFILE, id_type).fetch().values


@pytest.mark.mimeo(stateful=True)
def test_identifiers_and_store_deletion(mimeo_mock):
    assert mimeo_mock.url.startswith("http://127.0.0.1:")
    memory = memory_for(mimeo_mock, "AC00000000000000000000000000000001")

    # Add: values are normalized (email trimmed and lower-cased, phone to E.164).
    added = add(memory, "email", " Ada@Example.COM ")
    assert added.message == "Identifier accepted for processing."
    add(memory, "phone", "(317) 555-6789")
    add(memory, "email", "grace@example.com")

    # List: every idType with its values, in the order they were added.
    listed = memory.identifiers(STORE, PROFILE).list()
    assert [(i.id_type, i.values) for i in listed] == [
        ("email", ["ada@example.com", "grace@example.com"]),
        ("phone", ["+13175556789"]),
    ]

    # Fetch one idType.
    email = memory.identifiers(STORE, PROFILE, "email").fetch()
    assert (email.id_type, email.values) == ("email", ["ada@example.com", "grace@example.com"])

    # Modify in place; the new value is normalized too.
    update = IdentifierList.IdentifierUpdate(
        {"idType": "email", "oldValue": "ada@example.com", "newValue": "ADA@Lovelace.org"}
    )
    memory.identifiers(STORE, PROFILE, "email").patch(update)
    assert values(memory, "email") == ["ada@lovelace.org", "grace@example.com"]

    # Modifying to a value the profile already has is the documented 409.
    clash = IdentifierList.IdentifierUpdate(
        {"idType": "email", "oldValue": "ada@lovelace.org", "newValue": "grace@example.com"}
    )
    with pytest.raises(TwilioRestException) as err:
        memory.identifiers(STORE, PROFILE, "email").patch(clash)
    assert err.value.status == 409

    # Remove: one value goes (the oldest, fifo), then remove_all empties phone.
    # (delete() returns the 202's body: twilio/base/version.py, _parse_delete.)
    removed = memory.identifiers(STORE, PROFILE, "email").delete()
    assert removed == {"message": "Identifier removal accepted."}
    assert values(memory, "email") == ["grace@example.com"]
    memory.identifiers(STORE, PROFILE, "phone").delete(remove_all=True)
    with pytest.raises(TwilioRestException) as err:
        values(memory, "phone")
    assert err.value.status == 404
    assert [i.id_type for i in memory.identifiers(STORE, PROFILE).list()] == ["email"]

    # Delete the store: afterwards everything under it is 404.
    assert "message" in memory.stores(STORE).delete()
    with pytest.raises(TwilioRestException) as err:
        values(memory, "email")
    assert err.value.status == 404
    assert "deleted" in err.value.msg


@pytest.mark.mimeo(stateful=True)
def test_contract_breaking_request_gets_400(mimeo_mock):
    memory = memory_for(mimeo_mock, "AC00000000000000000000000000000002")
    with pytest.raises(TwilioRestException) as err:
        add(memory, "", "x")
    assert err.value.status == 400
    assert "idType" in err.value.msg


@pytest.mark.mimeo(stateful=True)
def test_account_sids_see_separate_state(mimeo_mock):
    a = memory_for(mimeo_mock, "AC0000000000000000000000000000000a")
    b = memory_for(mimeo_mock, "AC0000000000000000000000000000000b")
    add(a, "email", "a@example.com")
    add(b, "email", "b@example.com")
    assert values(a, "email") == ["a@example.com"]
    assert values(b, "email") == ["b@example.com"]


@pytest.mark.mimeo(rules=["DELETE /v1/ControlPlane/Stores/*=429"])
def test_rules_reach_the_library(mimeo_mock):
    memory = memory_for(mimeo_mock, "AC00000000000000000000000000000003")
    with pytest.raises(TwilioRestException) as err:
        memory.stores(STORE).delete()
    assert err.value.status == 429
