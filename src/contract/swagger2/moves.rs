//! Where each part of a converted Swagger 2.0 document came from, so that
//! errors and warnings about the converted document point into the one the
//! user wrote (`/definitions/Pet`, not `/components/schemas/Pet`).

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Location};

/// Converted pointer prefixes and the original pointers they came from.
#[derive(Default)]
pub(in crate::contract) struct Moves {
    map: HashMap<String, String>,
}

impl Moves {
    /// Records that what is at `converted` came from `original`.
    pub(super) fn add(&mut self, converted: String, original: String) {
        if converted != original {
            self.map.insert(converted, original);
        }
    }

    /// The original pointer of a pointer into the converted document: the
    /// longest recorded prefix (at a token boundary) is replaced.
    pub(in crate::contract) fn original(&self, ptr: &str) -> String {
        let mut end = ptr.len();
        loop {
            let prefix = &ptr[..end];
            if let Some(o) = self.map.get(prefix) {
                return format!("{o}{}", &ptr[end..]);
            }
            match prefix.rfind('/') {
                Some(i) if i > 0 => end = i,
                _ => return ptr.to_string(),
            }
        }
    }

    /// The same diagnostic, pointing into the original document.
    pub(in crate::contract) fn diagnostic(&self, d: Diagnostic) -> Diagnostic {
        match d.location() {
            Some(Location::Pointer(p)) => {
                let p = if p == "/" { "" } else { p.as_str() };
                Diagnostic::at_pointer(d.file(), &self.original(p), self.message(d.message()))
            }
            _ => d,
        }
    }

    /// A warning with the pointers it names (`#/...`, `schema at /...`)
    /// pointing into the original document.
    pub(in crate::contract) fn message(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(i) = next_pointer(rest) {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            let end = tail
                .find([':', ' ', '`', ')', ',', ';'])
                .unwrap_or(tail.len());
            out.push_str(&unrewrite(&self.original(&tail[..end])));
            rest = &tail[end..];
        }
        out.push_str(rest);
        out
    }
}

/// A pointer into a 3.0 section no recorded move covers (the target of a
/// `$ref` that points at nothing), in the Swagger 2.0 section it was written as.
fn unrewrite(pointer: &str) -> String {
    for (to, from) in [
        ("/components/schemas/", "/definitions/"),
        ("/components/parameters/", "/parameters/"),
        ("/components/responses/", "/responses/"),
    ] {
        if let Some(rest) = pointer.strip_prefix(to) {
            return format!("{from}{rest}");
        }
    }
    pointer.to_string()
}

/// Where the next pointer in a message starts (after `#` or `schema at `).
fn next_pointer(text: &str) -> Option<usize> {
    let hash = text.find("#/").map(|i| i + 1);
    let at = text.find("schema at /").map(|i| i + "schema at ".len());
    match (hash, at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_map_back_by_longest_prefix() {
        let mut m = Moves::default();
        m.add("/components/schemas/Pet".into(), "/definitions/Pet".into());
        m.add(
            "/paths/~1p/post/requestBody/content/application~1json/schema".into(),
            "/paths/~1p/post/parameters/1/schema".into(),
        );
        assert_eq!(
            m.original("/components/schemas/Pet/properties/a"),
            "/definitions/Pet/properties/a"
        );
        assert_eq!(
            m.original("/components/schemas/Pets"),
            "/components/schemas/Pets"
        );
        assert_eq!(
            m.message("#/paths/~1p/post/requestBody/content/application~1json/schema/items: x; schema at /components/schemas/Pet cannot"),
            "#/paths/~1p/post/parameters/1/schema/items: x; schema at /definitions/Pet cannot"
        );
    }
}
