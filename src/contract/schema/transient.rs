//! Validators compiled for building bodies after start, kept apart from the
//! contract's and bounded. Building a large contract's bodies (its warm-up, or
//! a first use) checks what it generates against the response schemas and
//! their parts; kept by the contract, each of those validators held a compiled
//! copy of every schema its `$ref`s reach, about a megabyte apiece in
//! Microsoft Graph's document (2 GB in all, for checks mostly not made again).
//! Within [`transiently`] (one operation's bodies), a validator the contract
//! does not hold yet is compiled for that work: a whole schema's until the
//! work ends, a part's (shared by many operations, so found again) among this
//! thread's [`KEPT`] most recent, until the work ends too unless
//! [`keeping_parts`] (the warm-up, building operation after operation) holds
//! them longer. A refusal is still kept by the contract (it is reported once).

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::thread::LocalKey;

use indexmap::IndexMap;
use jsonschema::Validator;

/// How many validators each thread keeps for building bodies.
const KEPT: usize = 512;

thread_local! {
    /// Whether this thread is building bodies ([`transiently`]).
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    /// Whether parts' validators outlive each [`transiently`] ([`keeping_parts`]).
    static KEEPING: Cell<bool> = const { Cell::new(false) };
    /// The validators of whole schemas (by id) compiled within the current
    /// [`transiently`]: each belongs to one operation's responses mostly, so
    /// they go when it ends.
    static SCOPED: Kept = RefCell::new(IndexMap::new());
    /// This thread's validators of parts, by key (`None`: the schema could not
    /// be compiled), the most recently used last.
    static KEPT_HERE: Kept = RefCell::new(IndexMap::new());
}

/// Runs `f` (building one operation's bodies) with the validators it compiles
/// that the contract does not hold kept for it, not by the contract.
pub(crate) fn transiently<R>(f: impl FnOnce() -> R) -> R {
    /// Ends the work, a panic included: its validators go.
    struct End(bool);
    impl Drop for End {
        fn drop(&mut self) {
            ACTIVE.with(|a| a.set(self.0));
            SCOPED.with(|s| s.borrow_mut().clear());
            if !KEEPING.with(Cell::get) {
                KEPT_HERE.with(|k| k.borrow_mut().clear());
            }
        }
    }
    let _end = End(ACTIVE.with(|a| a.replace(true)));
    f()
}

/// Runs `f` (the warm-up) with the parts' validators of each [`transiently`]
/// within kept for the next, among the [`KEPT`] most recent, until `f` ends.
pub(crate) fn keeping_parts<R>(f: impl FnOnce() -> R) -> R {
    /// Ends the keeping, a panic included.
    struct End;
    impl Drop for End {
        fn drop(&mut self) {
            KEEPING.with(|k| k.set(false));
            KEPT_HERE.with(|k| k.borrow_mut().clear());
        }
    }
    KEEPING.with(|k| k.set(true));
    let _end = End;
    f()
}

/// Whether this thread is within [`transiently`].
pub(super) fn active() -> bool {
    ACTIVE.with(Cell::get)
}

/// The validators kept on this thread, by key (`None`: the schema could not
/// be compiled), the most recently used last.
type Kept = RefCell<IndexMap<String, Option<Arc<Validator>>>>;

/// The validator of a whole schema (`key`) for the current [`transiently`],
/// compiled by `make` on first ask.
pub(super) fn scoped(
    key: impl FnOnce() -> String,
    make: impl FnOnce() -> Option<Validator>,
) -> Option<Arc<Validator>> {
    found_or_made(&SCOPED, usize::MAX, key(), make)
}

/// The validator of a part of a schema kept for `key` (shared by many
/// operations: among this thread's [`KEPT`] most recent), compiled by `make`
/// when there is none.
pub(super) fn get_or_make(
    key: impl FnOnce() -> String,
    make: impl FnOnce() -> Option<Validator>,
) -> Option<Arc<Validator>> {
    found_or_made(&KEPT_HERE, KEPT, key(), make)
}

/// The validator `store` keeps for `key`, else made by `make` (outside any
/// borrow: compiling may take a while) and kept among the `bound` most
/// recently used.
fn found_or_made(
    store: &'static LocalKey<Kept>,
    bound: usize,
    key: String,
    make: impl FnOnce() -> Option<Validator>,
) -> Option<Arc<Validator>> {
    let found = store.with(|k| {
        let mut kept = k.borrow_mut();
        let at = kept.get_index_of(&key)?;
        let last = kept.len() - 1;
        kept.move_index(at, last);
        kept.get_index(last).map(|(_, v)| v.clone())
    });
    if let Some(found) = found {
        return found;
    }
    let made = make().map(Arc::new);
    store.with(|k| {
        let mut kept = k.borrow_mut();
        if kept.len() >= bound {
            kept.shift_remove_index(0);
        }
        kept.insert(key, made.clone());
    });
    made
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators_are_kept_within_the_bound_most_recent_first() {
        let compiled = Cell::new(0);
        let make = || {
            compiled.set(compiled.get() + 1);
            None
        };
        keeping_parts(|| {
            transiently(|| {
                assert!(active());
                for i in 0..KEPT + 10 {
                    get_or_make(|| format!("k{i}"), make);
                }
            });
            // Kept for the next piece of work: the last ones are found again,
            // the first ten were dropped.
            transiently(|| {
                get_or_make(|| format!("k{}", KEPT + 9), make);
                assert_eq!(compiled.get(), KEPT + 10);
                get_or_make(|| "k0".to_string(), make);
                assert_eq!(compiled.get(), KEPT + 11);
                scoped(|| "whole".to_string(), make);
                scoped(|| "whole".to_string(), make);
                assert_eq!(
                    compiled.get(),
                    KEPT + 12,
                    "a whole schema's, within the work"
                );
            });
            assert!(SCOPED.with(|s| s.borrow().is_empty()), "gone with its work");
            assert!(KEPT_HERE.with(|k| k.borrow().len()) <= KEPT);
        });
        assert!(!active());
        assert!(
            KEPT_HERE.with(|k| k.borrow().is_empty()),
            "gone with the keeping"
        );
        // Outside a keeping, a piece of work's parts go with it.
        transiently(|| {
            get_or_make(|| "k".to_string(), make);
        });
        assert!(KEPT_HERE.with(|k| k.borrow().is_empty()));
    }
}
