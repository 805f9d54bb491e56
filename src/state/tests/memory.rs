//! The Memory v1 model: identifiers, merges, deletions, existence, settling.

use std::time::Duration;

use serde_json::{json, Value};

use super::{body, message, status, Client};
use crate::state::limits::Limits;
use crate::state::seed::Seed;
use crate::state::sim::{SimOptions, SimOutcome};

pub(super) fn store(n: u32) -> String {
    format!("mem_store_{n:026}")
}

pub(super) fn profile(n: u32) -> String {
    format!("mem_profile_{n:026}")
}

/// Requests on one store's profiles.
pub(super) struct Memory {
    pub(super) c: Client,
    pub(super) store: String,
}

impl Memory {
    pub(super) fn new(opts: SimOptions) -> Memory {
        Memory {
            c: Client::memory(opts),
            store: store(1),
        }
    }

    pub(super) fn add(&self, p: &str, id_type: &str, value: &str) -> SimOutcome {
        self.c.call(
            "CreateProfileIdentifier",
            &[("storeId", &self.store), ("profileId", p)],
            &[],
            Some(json!({"idType": id_type, "value": value})),
        )
    }

    pub(super) fn list(&self, p: &str) -> SimOutcome {
        self.c.call(
            "ListProfileIdentifiers",
            &[("storeId", &self.store), ("profileId", p)],
            &[],
            None,
        )
    }

    pub(super) fn fetch(&self, p: &str, id_type: &str) -> SimOutcome {
        self.c.call(
            "FetchProfileIdentifier",
            &[
                ("storeId", &self.store),
                ("profileId", p),
                ("idType", id_type),
            ],
            &[],
            None,
        )
    }

    pub(super) fn patch(&self, p: &str, id_type: &str, old: &str, new: &str) -> SimOutcome {
        self.c.call(
            "PatchProfileIdentifier",
            &[
                ("storeId", &self.store),
                ("profileId", p),
                ("idType", id_type),
            ],
            &[],
            Some(json!({"idType": id_type, "oldValue": old, "newValue": new})),
        )
    }

    pub(super) fn remove(&self, p: &str, id_type: &str, all: bool) -> SimOutcome {
        let query: &[(&str, &str)] = if all { &[("removeAll", "true")] } else { &[] };
        self.c.call(
            "DeleteProfileIdentifier",
            &[
                ("storeId", &self.store),
                ("profileId", p),
                ("idType", id_type),
            ],
            query,
            None,
        )
    }

    /// The values of one idType, or the status when there are none.
    pub(super) fn values(&self, p: &str, id_type: &str) -> Result<Vec<String>, u16> {
        match self.fetch(p, id_type) {
            out @ SimOutcome::Respond { .. } => {
                let b = body(&out);
                assert_eq!(b["idType"], id_type);
                Ok(b["values"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect())
            }
            out => Err(status(&out)),
        }
    }
}

fn accepted(out: &SimOutcome) {
    assert_eq!(
        *out,
        SimOutcome::Respond {
            status: 202,
            body: None,
            location: None,
            checked: None,
        }
    );
}

#[test]
fn added_values_are_normalized_listed_in_order_and_never_twice() {
    let m = Memory::new(SimOptions::default());
    let p = profile(1);
    accepted(&m.add(&p, "phone", "+1 (317) 555-6789"));
    accepted(&m.add(&p, "email", "  Ada@Example.COM"));
    accepted(&m.add(&p, "phone", "317.555.0100"));
    accepted(&m.add(&p, "phone", "13175556789")); // the first number, spelled otherwise
    accepted(&m.add(&p, "externalId", " Keep As Is "));
    assert_eq!(
        body(&m.list(&p)),
        json!({"identifiers": [
            {"idType": "phone", "values": ["+13175556789", "+13175550100"]},
            {"idType": "email", "values": ["ada@example.com"]},
            {"idType": "externalId", "values": [" Keep As Is "]},
        ]})
    );
    assert_eq!(
        m.values(&p, "email"),
        Ok(vec!["ada@example.com".to_string()])
    );
}

#[test]
fn a_value_that_is_not_a_phone_number_is_a_400_naming_the_rule() {
    let m = Memory::new(SimOptions::default());
    let out = m.add(&profile(1), "phone", "abc");
    assert_eq!(status(&out), 400);
    assert_eq!(message(&out), "value: \"abc\" is not a phone number (normalization: phone, E.164: `+` and 8 to 15 digits)");
    // Nothing sprang into existence for a refused request.
    assert_eq!(status(&m.list(&profile(1))), 404);
    assert_eq!(m.c.sim.dump("test"), json!({}));
}

#[test]
fn reads_of_what_was_never_written_are_404() {
    let m = Memory::new(SimOptions::default());
    let p = profile(1);
    assert_eq!(status(&m.list(&p)), 404);
    assert_eq!(m.values(&p, "email"), Err(404));
    m.add(&p, "email", "a@example.com");
    assert_eq!(m.values(&p, "phone"), Err(404));
    assert_eq!(status(&m.list(&profile(2))), 404);
    assert!(message(&m.list(&profile(2))).contains("profile mem_profile_"));
    let other = Memory {
        c: Client::memory(SimOptions::default()),
        store: store(2),
    };
    assert_eq!(status(&other.list(&p)), 404);
}

#[test]
fn patch_replaces_in_place_and_refuses_missing_or_present_values() {
    let m = Memory::new(SimOptions::default());
    let p = profile(1);
    for v in ["a@example.com", "b@example.com", "c@example.com"] {
        m.add(&p, "email", v);
    }
    accepted(&m.patch(&p, "email", "B@example.com ", "  New@Example.com"));
    assert_eq!(
        m.values(&p, "email").unwrap(),
        ["a@example.com", "new@example.com", "c@example.com"]
    );
    let out = m.patch(&p, "email", "zzz@example.com", "d@example.com");
    assert_eq!(
        (status(&out), message(&out).contains("oldValue")),
        (404, true),
        "{out:?}"
    );
    assert_eq!(
        status(&m.patch(&p, "email", "a@example.com", "C@example.com")),
        409
    );
    assert_eq!(
        status(&m.patch(&p, "email", "a@example.com", "a@example.com")),
        409
    );
    assert_eq!(
        status(&m.patch(&p, "phone", "+13175556789", "+13175550100")),
        404
    );
    assert_eq!(
        status(&m.patch(&profile(9), "email", "a@example.com", "x@example.com")),
        404
    );
    let mismatch = m.c.call(
        "PatchProfileIdentifier",
        &[
            ("storeId", &m.store),
            ("profileId", &p),
            ("idType", "email"),
        ],
        &[],
        Some(json!({"idType": "phone", "oldValue": "a@example.com", "newValue": "x@example.com"})),
    );
    assert_eq!(status(&mismatch), 400);
    assert!(message(&mismatch).contains("path names"), "{mismatch:?}");
    assert_eq!(status(&m.patch(&p, "phone", "1", "not a phone")), 400);
}

#[test]
fn removal_takes_the_policy_victim_or_everything() {
    let seed = Seed::from_text(
        "seed.yaml",
        &format!(
            "stores:\n  {}:\n    settings: {{identifiers: {{externalId: {{limitPolicy: lifo}}}}}}\n",
            store(1)
        ),
        &super::memory().0,
        &super::memory().1,
    )
    .unwrap();
    let m = Memory::new(SimOptions {
        seed: Some(seed),
        ..SimOptions::default()
    });
    let p = profile(1);
    for v in ["1", "2", "3"] {
        m.add(&p, "email", &format!("{v}@example.com"));
        m.add(&p, "externalId", v);
    }
    accepted(&m.remove(&p, "email", false));
    assert_eq!(
        m.values(&p, "email").unwrap(),
        ["2@example.com", "3@example.com"]
    );
    accepted(&m.remove(&p, "externalId", false));
    assert_eq!(m.values(&p, "externalId").unwrap(), ["1", "2"]);
    accepted(&m.remove(&p, "externalId", true));
    assert_eq!(m.values(&p, "externalId"), Err(404));
    assert_eq!(status(&m.remove(&p, "externalId", false)), 404);
    m.remove(&p, "email", false);
    m.remove(&p, "email", false);
    assert_eq!(body(&m.list(&p)), json!({"identifiers": []}));
    assert_eq!(status(&m.remove(&profile(7), "email", true)), 404);
}

#[test]
fn limits_drop_the_policy_victim_after_each_append() {
    let (contract, model) = super::memory();
    let text = format!(
        "stores:\n  {}:\n    settings:\n      identifiers:\n        email: {{limit: 2}}\n        externalId: {{limit: 2, limitPolicy: lifo}}\n",
        store(1)
    );
    let seed = Seed::from_text("seed.yaml", &text, &contract, &model).unwrap();
    let m = Memory::new(SimOptions {
        seed: Some(seed),
        ..SimOptions::default()
    });
    let p = profile(1);
    for v in ["a", "b", "c"] {
        m.add(&p, "email", &format!("{v}@example.com"));
        m.add(&p, "externalId", v);
    }
    // fifo: the oldest made room; lifo: the value added at the limit was dropped.
    assert_eq!(
        m.values(&p, "email").unwrap(),
        ["b@example.com", "c@example.com"]
    );
    assert_eq!(m.values(&p, "externalId").unwrap(), ["a", "b"]);
}

#[test]
fn a_value_held_by_another_profile_merges_them_into_the_older() {
    let m = Memory::new(SimOptions::default());
    let (a, b) = (profile(1), profile(2));
    m.add(&a, "email", "shared@example.com");
    m.add(&a, "phone", "+13175550001");
    m.add(&b, "externalId", "crm-7");
    m.add(&b, "phone", "+13175550002");
    accepted(&m.add(&b, "email", "SHARED@example.com"));
    // a was written first: it absorbs b's identifiers, appended in order.
    assert_eq!(
        body(&m.list(&a)),
        json!({"identifiers": [
            {"idType": "email", "values": ["shared@example.com"]},
            {"idType": "phone", "values": ["+13175550001", "+13175550002"]},
            {"idType": "externalId", "values": ["crm-7"]},
        ]})
    );
    let redirect = |status| SimOutcome::Redirect {
        status,
        param: "profileId".into(),
        canonical: a.clone(),
    };
    assert_eq!(m.list(&b), redirect(301));
    assert_eq!(m.fetch(&b, "email"), redirect(301));
    assert_eq!(m.add(&b, "email", "x@example.com"), redirect(308));
    assert_eq!(
        m.patch(&b, "email", "shared@example.com", "y@example.com"),
        redirect(308)
    );
    assert_eq!(m.remove(&b, "email", true), redirect(308));
    // Following the redirect works.
    assert_eq!(m.values(&a, "externalId").unwrap(), ["crm-7"]);
}

#[test]
fn merge_chains_resolve_to_the_final_canonical_profile() {
    let m = Memory::new(SimOptions::default());
    let (a, b, c) = (profile(1), profile(2), profile(3));
    m.add(&c, "email", "c@example.com"); // c is the oldest
    m.add(&b, "email", "b@example.com");
    m.add(&a, "email", "a@example.com");
    m.add(&a, "phone", "+13175550002");
    m.add(&b, "phone", "+13175550002"); // a and b merge: b is older
    m.add(&b, "externalId", "x");
    m.add(&c, "externalId", "x"); // b and c merge: c is older
    for p in [&a, &b] {
        assert_eq!(
            m.list(p),
            SimOutcome::Redirect {
                status: 301,
                param: "profileId".into(),
                canonical: c.clone()
            }
        );
    }
    assert_eq!(
        m.values(&c, "email").unwrap(),
        ["c@example.com", "b@example.com", "a@example.com"]
    );
    let dump = m.c.sim.dump("test");
    assert_eq!(
        dump["stores"][&m.store]["profiles"][&a],
        json!({"mergedInto": b})
    );
}

#[test]
fn a_patch_to_a_value_held_elsewhere_merges_too() {
    let m = Memory::new(SimOptions::default());
    let (a, b) = (profile(1), profile(2));
    m.add(&a, "email", "a@example.com");
    m.add(&b, "email", "b@example.com");
    accepted(&m.patch(&b, "email", "b@example.com", "a@example.com"));
    assert_eq!(m.values(&a, "email").unwrap(), ["a@example.com"]);
    assert_eq!(status(&m.list(&b)), 301);
}

#[test]
fn without_enforce_unique_two_profiles_may_share_a_value() {
    let (contract, model) = super::memory();
    let text = format!(
        "stores:\n  {}:\n    settings: {{identifiers: {{email: {{enforceUnique: false}}}}}}\n",
        store(1)
    );
    let seed = Seed::from_text("seed.yaml", &text, &contract, &model).unwrap();
    let m = Memory::new(SimOptions {
        seed: Some(seed),
        ..SimOptions::default()
    });
    m.add(&profile(1), "email", "same@example.com");
    m.add(&profile(2), "email", "same@example.com");
    assert_eq!(
        m.values(&profile(2), "email").unwrap(),
        ["same@example.com"]
    );
    assert_eq!(status(&m.list(&profile(1))), 200);
}

#[test]
fn a_deleted_store_takes_everything_under_it() {
    let m = Memory::new(SimOptions::default());
    let p = profile(1);
    m.add(&p, "email", "a@example.com");
    let mapping = "mem_datamapping_00000000000000000000000001";
    let path = [("storeId", m.store.as_str()), ("dataMappingId", mapping)];
    accepted(&m.c.call("DeleteDataMapping", &path, &[], None));
    assert_eq!(
        status(&m.c.call("DeleteDataMapping", &path, &[], None)),
        404
    );
    accepted(&m.c.call("DeleteStore", &[("storeId", &m.store)], &[], None));
    assert_eq!(status(&m.list(&p)), 404);
    assert_eq!(
        message(&m.list(&p)),
        format!("store {} was deleted", m.store)
    );
    assert_eq!(status(&m.add(&p, "email", "b@example.com")), 404);
    assert_eq!(status(&m.add(&profile(2), "email", "b@example.com")), 404);
    let other = [
        ("storeId", m.store.as_str()),
        (
            "dataMappingId",
            "mem_datamapping_00000000000000000000000002",
        ),
    ];
    assert_eq!(
        status(&m.c.call("DeleteDataMapping", &other, &[], None)),
        404
    );
    assert_eq!(
        status(&m.c.call("DeleteStore", &[("storeId", &m.store)], &[], None)),
        404
    );
    // A never-seen store: deleting it is its first write.
    accepted(&m.c.call("DeleteStore", &[("storeId", &store(5))], &[], None));
    assert_eq!(
        status(&m.c.call("DeleteStore", &[("storeId", &store(5))], &[], None)),
        404
    );
    assert_eq!(
        m.c.sim.dump("test")["stores"][store(5)],
        json!({"deleted": true})
    );
}

#[test]
fn strict_with_a_seed_only_knows_what_was_seeded() {
    let (contract, model) = super::memory();
    let text = format!(
        "stores:\n  {}:\n    profiles:\n      {}:\n        identifiers: {{email: [a@example.com]}}\n",
        store(1),
        profile(1)
    );
    let seed = Seed::from_text("seed.yaml", &text, &contract, &model).unwrap();
    let m = Memory::new(SimOptions {
        seed: Some(seed),
        strict: true,
        ..SimOptions::default()
    });
    assert_eq!(m.values(&profile(1), "email").unwrap(), ["a@example.com"]);
    accepted(&m.add(&profile(1), "phone", "3175550100"));
    assert_eq!(status(&m.add(&profile(2), "phone", "3175550100")), 404);
    let elsewhere = Memory {
        c: m.c,
        store: store(2),
    };
    assert_eq!(
        status(&elsewhere.add(&profile(1), "email", "b@example.com")),
        404
    );
    assert_eq!(
        status(
            &elsewhere
                .c
                .call("DeleteStore", &[("storeId", &store(2))], &[], None)
        ),
        404
    );
}

#[test]
fn settled_writes_become_visible_after_the_delay() {
    let mut m = Memory::new(SimOptions {
        settle: Duration::from_secs(2),
        ..SimOptions::default()
    });
    let p = profile(1);
    m.add(&p, "email", "a@example.com");
    assert_eq!(status(&m.list(&p)), 404);
    m.c.wait(Duration::from_secs(1));
    // A later write is judged against the latest state: the value is found.
    accepted(&m.patch(&p, "email", "a@example.com", "b@example.com"));
    assert_eq!(status(&m.list(&p)), 404);
    m.c.wait(Duration::from_secs(1));
    assert_eq!(m.values(&p, "email").unwrap(), ["a@example.com"]);
    m.c.wait(Duration::from_millis(999));
    assert_eq!(m.values(&p, "email").unwrap(), ["a@example.com"]);
    m.c.wait(Duration::from_millis(1));
    assert_eq!(m.values(&p, "email").unwrap(), ["b@example.com"]);
    assert_eq!(
        m.c.sim.dump("test")["stores"][&m.store]["profiles"][&p]["identifiers"]["email"],
        json!(["b@example.com"])
    );
}

#[test]
fn sessions_are_apart_and_reset_to_the_seed() {
    let mut m = Memory::new(SimOptions::default());
    let p = profile(1);
    m.add(&p, "email", "a@example.com");
    m.c.session = "other".into();
    assert_eq!(status(&m.list(&p)), 404);
    m.add(&p, "email", "b@example.com");
    m.c.sim.reset(Some("test"));
    m.c.session = "test".into();
    assert_eq!(status(&m.list(&p)), 404);
    m.c.session = "other".into();
    assert_eq!(m.values(&p, "email").unwrap(), ["b@example.com"]);
    m.c.sim.reset(None);
    assert_eq!(status(&m.list(&p)), 404);
}

#[test]
fn a_dump_loads_back_and_a_bad_state_is_refused_with_pointers() {
    let m = Memory::new(SimOptions::default());
    let (a, b) = (profile(1), profile(2));
    m.add(&a, "email", "a@example.com");
    m.add(&b, "email", "a@example.com");
    m.c.call(
        "DeleteDataMapping",
        &[
            ("storeId", &m.store),
            (
                "dataMappingId",
                "mem_datamapping_00000000000000000000000001",
            ),
        ],
        &[],
        None,
    );
    let dump = m.c.sim.dump("test");
    m.c.sim.load("copy", &dump).unwrap();
    assert_eq!(m.c.sim.dump("copy"), dump);
    let bad = json!({"stores": {"mem_store_x": {}, &m.store: {"profiles": {&a: {"identifiers": {"phone": ["abc"], "email": "x"}}}}}});
    let e = m.c.sim.load("copy", &bad).unwrap_err().to_string();
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 3, "{e}");
    assert!(
        lines[0].starts_with("state: at #/stores/mem_store_x: `mem_store_x` is not a valid stores"),
        "{e}"
    );
    assert!(lines[1].starts_with(&format!("state: at #/stores/{}/profiles/{a}/identifiers/phone/0: phone: \"abc\" is not a phone number", m.store)), "{e}");
    assert!(
        lines[2].contains("the email values are a list of text, found a string"),
        "{e}"
    );
    // The refused state left the session as it was.
    assert_eq!(m.c.sim.dump("copy"), dump);
    let _: Value = dump;
}

#[test]
fn session_limits_refuse_growth_with_a_mimeo_error_not_a_contract_status() {
    let limits = Limits {
        max_items: 2,
        max_values: 2,
        ..Limits::default()
    };
    let m = Memory::new(SimOptions {
        limits,
        ..SimOptions::default()
    });
    let p = profile(1);
    accepted(&m.add(&p, "email", "a@example.com"));
    accepted(&m.add(&p, "email", "b@example.com"));
    accepted(&m.add(&p, "email", "B@example.com")); // present: adds nothing
    let SimOutcome::Refused { message } = m.add(&p, "email", "c@example.com") else {
        panic!("not refused")
    };
    assert!(
        message.starts_with(
            "this session holds 2 values, and the simulation keeps at most 2 per session"
        ),
        "{message}"
    );
    assert!(matches!(
        m.add(&profile(2), "phone", "3175550100"),
        SimOutcome::Refused { .. }
    ));
    assert!(matches!(
        m.c.call("DeleteStore", &[("storeId", &store(9))], &[], None),
        SimOutcome::Refused { .. }
    ));
    // Shrinking is always allowed.
    accepted(&m.remove(&p, "email", true));
    let big = json!({"stores": {store(1): {}, store(2): {}, store(3): {}}});
    let e = m.c.sim.load("test", &big).unwrap_err().to_string();
    assert_eq!(
        e,
        "state: this state holds 3 items, and the simulation keeps at most 2 per session"
    );
}

#[test]
fn all_sessions_together_stay_within_the_total_budget() {
    let limits = Limits {
        max_total_entries: 6,
        ..Limits::default()
    };
    let mut m = Memory::new(SimOptions {
        limits,
        ..SimOptions::default()
    });
    // Each session: a store and a profile (2 items) and one value.
    for s in ["a", "b"] {
        m.c.session = s.into();
        accepted(&m.add(&profile(1), "email", "a@example.com"));
    }
    m.c.session = "c".into();
    let SimOutcome::Refused { message } = m.add(&profile(1), "email", "a@example.com") else {
        panic!("not refused")
    };
    assert!(
        message.starts_with("all sessions together hold 6 items and values"),
        "{message}"
    );
    // Dropping a session gives its share back.
    m.c.sim.reset(Some("a"));
    accepted(&m.add(&profile(1), "email", "a@example.com"));
    m.c.sim.reset(None);
    assert_eq!(m.c.sim.total(), crate::state::world::Counts::default());
}
