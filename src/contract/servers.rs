//! The base paths of a document's `servers` (`https://api.example.com/v2` ->
//! `/v2`; Swagger 2's `basePath`). A client pointed at the mock with the
//! document's URL, host swapped, sends `/v2/pets` for the path `/pets`: a path
//! no template has is routed again less a base path, so both `/pets` and
//! `/v2/pets` reach the operation. Worked out at load; costs nothing on a path
//! a template has.

use openapiv3::Server;

/// At most this many base paths (a server's variables with long enums).
const MAX_BASES: usize = 32;

/// The distinct base paths of `servers`, without a trailing `/`; the root is
/// none. A variable (`/{version}`) takes its default and each of its `enum`.
pub(crate) fn base_paths(servers: &[Server]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for server in servers {
        for url in expanded(server) {
            let Some(path) = path_of(&url) else { continue };
            let path = path.trim_end_matches('/');
            if path.is_empty() || out.iter().any(|b| b == path) {
                continue;
            }
            if out.len() == MAX_BASES {
                return out;
            }
            out.push(path.to_string());
        }
    }
    out
}

/// The server's URL with its variables put in: every combination of their
/// values, up to [`MAX_BASES`].
fn expanded(server: &Server) -> Vec<String> {
    let mut urls = vec![server.url.clone()];
    for (name, var) in server.variables.iter().flatten() {
        let slot = format!("{{{name}}}");
        if !server.url.contains(&slot) {
            continue;
        }
        let mut values = vec![var.default.as_str()];
        values.extend(var.enumeration.iter().map(String::as_str));
        values.dedup();
        let mut next = Vec::new();
        'all: for url in &urls {
            for v in &values {
                if next.len() == MAX_BASES {
                    break 'all;
                }
                let u = url.replace(&slot, v);
                if !next.contains(&u) {
                    next.push(u);
                }
            }
        }
        urls = next;
    }
    urls
}

/// The path of an absolute (`https://h/p`), scheme-relative (`//h/p`) or
/// relative (`/p`) URL; `None` for one still holding an unknown `{variable}`.
fn path_of(url: &str) -> Option<&str> {
    let url = url.split(['?', '#']).next().unwrap_or("");
    let path = match url.find("//") {
        Some(i)
            if url[..i]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.:".contains(&b)) =>
        {
            let rest = &url[i + 2..];
            rest.find('/').map_or("", |j| &rest[j..])
        }
        _ if url.starts_with('/') => url,
        _ => return None,
    };
    (!path.contains(['{', '}'])).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers(yaml: &str) -> Vec<Server> {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn base_paths_come_from_urls_and_their_variables() {
        let s = servers(
            r#"
- url: https://api.example.com/v2/
- url: http://localhost:8080
- url: /relative
- url: //cdn.example.com/v2?x=1
- url: https://{region}.example.com/{version}
  variables:
    region: {default: eu}
    version: {default: v3, enum: [v3, beta]}
- url: https://example.com/{unknown}
- url: "{scheme}://example.com"
"#,
        );
        assert_eq!(base_paths(&s), ["/v2", "/relative", "/v3", "/beta"]);
        assert!(base_paths(&servers("- url: /\n- url: https://a.b")).is_empty());
    }

    #[test]
    fn many_combinations_are_bounded() {
        let values: Vec<String> = (0..100).map(|i| format!("v{i}")).collect();
        let s = vec![Server {
            url: "/{a}/{b}".into(),
            description: None,
            variables: Some(
                [("a", &values), ("b", &values)]
                    .into_iter()
                    .map(|(n, v)| {
                        (
                            n.to_string(),
                            openapiv3::ServerVariable {
                                enumeration: v.clone(),
                                default: "v0".into(),
                                description: None,
                                extensions: Default::default(),
                            },
                        )
                    })
                    .collect(),
            ),
            extensions: Default::default(),
        }];
        assert_eq!(base_paths(&s).len(), MAX_BASES);
    }
}
