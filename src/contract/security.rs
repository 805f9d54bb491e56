//! Security requirements, resolved once at load: which credentials each
//! operation asks for, as OpenAPI says (the operation's `security`, else the
//! document's; `security: []` or an empty requirement means none). A request
//! keeps the requirement when it satisfies one of the alternatives (OR), each a
//! set of schemes that must all be satisfied (AND). The check itself lives in
//! `crate::validate::security`; here the schemes are only named, so no request
//! ever looks a scheme up by name.

use indexmap::IndexMap;
use openapiv3::{APIKeyLocation, OpenAPI, ReferenceOr, SecurityRequirement};

/// One way of presenting credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// HTTP Basic: `Authorization: Basic base64(user:password)`.
    Basic,
    /// HTTP Bearer, and OAuth2 or OpenID Connect (a bearer token is how their
    /// access tokens are presented).
    Bearer,
    /// Another HTTP authentication scheme (`Digest`, ...): an `Authorization`
    /// header with that scheme name.
    Http(String),
    /// An API key in a header, query parameter or cookie.
    ApiKey {
        /// Where the key goes.
        location: KeyIn,
        /// The header, parameter or cookie name.
        name: String,
    },
}

/// Where an API key goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyIn {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
}

/// What an operation's security requirement asks for: any one of the
/// alternatives, each a set of schemes that must all be satisfied. No
/// alternatives: nothing is required.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Security {
    /// The alternatives (OR), each an AND of schemes.
    pub(crate) alternatives: Vec<Vec<Scheme>>,
}

impl Security {
    /// Whether the operation asks for no credentials.
    pub(crate) fn is_none(&self) -> bool {
        self.alternatives.is_empty()
    }

    /// Reads an operation's requirement (`own`, else the document's), naming
    /// each scheme from `components.securitySchemes`. A scheme the document does
    /// not define is left out with a warning, and a requirement left with none
    /// is dropped; when none is left at all, the operation is served without
    /// credentials (each warning says the scheme is not enforced).
    pub(crate) fn read(
        api: &OpenAPI,
        own: Option<&Vec<SecurityRequirement>>,
        at: &str,
        warnings: &mut Vec<String>,
    ) -> Security {
        let Some(reqs) = own.or(api.security.as_ref()) else {
            return Security::default();
        };
        if reqs.is_empty() || reqs.iter().any(IndexMap::is_empty) {
            return Security::default(); // `[]` or `{}`: anonymous access is allowed.
        }
        let defined = api.components.as_ref().map(|c| &c.security_schemes);
        let mut alternatives = Vec::new();
        for req in reqs {
            let mut schemes = Vec::new();
            for name in req.keys() {
                match defined.and_then(|d| d.get(name)) {
                    Some(ReferenceOr::Item(s)) => schemes.push(scheme(s)),
                    _ => warnings.push(format!(
                        "#{at}: security scheme `{name}` is not defined in components.securitySchemes; it is not enforced"
                    )),
                }
            }
            if !schemes.is_empty() && !alternatives.contains(&schemes) {
                alternatives.push(schemes);
            }
        }
        Security { alternatives }
    }
}

/// The names of every API key the document's security schemes declare (lower
/// case), so their values are treated as credentials wherever they are shown.
pub(crate) fn key_names(api: &OpenAPI) -> Vec<String> {
    let mut names: Vec<String> = api
        .components
        .iter()
        .flat_map(|c| c.security_schemes.values())
        .filter_map(|s| match s {
            ReferenceOr::Item(openapiv3::SecurityScheme::APIKey { name, .. }) => {
                Some(name.to_ascii_lowercase())
            }
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

fn scheme(s: &openapiv3::SecurityScheme) -> Scheme {
    use openapiv3::SecurityScheme as S;
    match s {
        S::HTTP { scheme, .. } if scheme.eq_ignore_ascii_case("basic") => Scheme::Basic,
        S::HTTP { scheme, .. } if scheme.eq_ignore_ascii_case("bearer") => Scheme::Bearer,
        S::HTTP { scheme, .. } => Scheme::Http(scheme.clone()),
        S::APIKey { location, name, .. } => Scheme::ApiKey {
            location: match location {
                APIKeyLocation::Header => KeyIn::Header,
                APIKeyLocation::Query => KeyIn::Query,
                APIKeyLocation::Cookie => KeyIn::Cookie,
            },
            name: name.clone(),
        },
        S::OAuth2 { .. } | S::OpenIDConnect { .. } => Scheme::Bearer,
    }
}
