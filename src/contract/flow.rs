//! How deep a YAML document nests flow collections (`[...]`, `{...}`), found
//! before serde_yaml reads it.
//!
//! libyaml's scanner (serde_yaml's) does work in proportion to the flow depth
//! for every token it reads, so a document that opens 100,000 `[` kept the
//! loader busy for 25 s before it failed on serde_yaml's nesting limit; 10,000
//! took 0.3 s. This pass is linear and refuses such a document at once, with
//! the place where it nests too deep.

/// The deepest flow nesting read. serde_yaml refuses more than 128 levels of
/// any nesting (block or flow), so a document deeper than this fails anyway.
pub(super) const MAX_FLOW_DEPTH: usize = 128;

/// The line and column (1-based) of the bracket that opens flow level
/// [`MAX_FLOW_DEPTH`] + 1, if the document has one.
///
/// The scan knows as much YAML as that takes: a `[` or `{` opens a collection
/// where a value starts (or anywhere inside one), quoted scalars, comments
/// and block scalars (`|`, `>`) hold text, not brackets. Where it is unsure it
/// counts a bracket too few, never one too many beyond an unbalanced plain
/// scalar, so a document serde_yaml reads is not refused.
pub(super) fn too_deep(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    let mut line_start = 0;
    // Whether a value can start here (block context): after the indentation,
    // `- `, `? ` and `: `.
    let mut node_start = true;
    // Nothing but indentation and `- ` / `? ` markers yet on this line: only
    // there do `-` and `?` start a value (`Range - [0, 1)` is one plain scalar).
    let mut head = true;
    // The indentation of the line that began a block scalar: more indented
    // lines (and blank ones) are its text.
    let mut block_parent: Option<usize> = None;
    while i < bytes.len() {
        let c = bytes[i];
        if i == line_start {
            let indent = bytes[i..].iter().take_while(|&&b| b == b' ').count();
            let rest = &bytes[i + indent..];
            let blank = rest.first().is_none_or(|&b| b == b'\n' || b == b'\r');
            if let Some(parent) = block_parent {
                if blank || indent > parent {
                    i = skip_line(bytes, i);
                    line_start = i;
                    continue;
                }
                block_parent = None;
            }
            if depth == 0 {
                node_start = true;
            }
            head = true;
        }
        match c {
            b'\n' => {
                i += 1;
                line_start = i;
                continue;
            }
            b'#' if i == line_start || bytes[i - 1].is_ascii_whitespace() => {
                i = skip_line(bytes, i);
                line_start = i;
                continue;
            }
            b'[' | b'{' if depth > 0 || node_start => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    let column = text[line_start..i].chars().count() + 1;
                    let line = text[..i].matches('\n').count() + 1;
                    return Some((line, column));
                }
            }
            b']' | b'}' if depth > 0 => {
                depth -= 1;
                node_start = false;
            }
            b'"' | b'\'' if node_start || (depth > 0 && opens_scalar(bytes[i - 1])) => {
                let end = skip_quoted(bytes, i);
                // Only the quoted text is searched: a long line of short
                // strings stays linear.
                line_start =
                    memchr::memrchr(b'\n', &bytes[i..end]).map_or(line_start, |n| i + n + 1);
                i = end;
                node_start = false;
                head = false;
                continue;
            }
            b'|' | b'>' if depth == 0 && node_start => {
                // The block's text is indented more than the node holding it:
                // the key after any `- ` / `? ` markers (`- a: |` holds `a`).
                block_parent = Some(node_column(&bytes[line_start..]));
                i = skip_line(bytes, i);
                line_start = i;
                continue;
            }
            b' ' | b'\t' | b'\r' => {}
            // `- ` and `? ` at the head of a line start a value, `: ` the value
            // of a key.
            b'-' | b'?'
                if depth == 0
                    && head
                    && bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace()) =>
            {
                node_start = true;
            }
            b':' if depth == 0 && bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace()) => {
                node_start = true;
                head = false;
            }
            // An anchor or a tag before a value leaves it where a value starts.
            b'&' | b'!' if node_start => {
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                continue;
            }
            _ if depth == 0 => {
                node_start = false;
                head = false;
            }
            _ => head = false,
        }
        i += 1;
    }
    None
}

/// The column of a line's node: past its indentation and any `- ` / `? `
/// markers.
fn node_column(line: &[u8]) -> usize {
    let mut i = 0;
    loop {
        while line.get(i) == Some(&b' ') {
            i += 1;
        }
        match (line.get(i), line.get(i + 1)) {
            (Some(b'-' | b'?'), Some(b' ')) => i += 2,
            _ => return i,
        }
    }
}

/// Whether a quote after `before` starts a quoted scalar inside a flow
/// collection (rather than sitting inside a plain one).
fn opens_scalar(before: u8) -> bool {
    matches!(before, b'[' | b'{' | b',' | b':') || before.is_ascii_whitespace()
}

/// Where the line holding `i` ends (past its newline).
fn skip_line(bytes: &[u8], i: usize) -> usize {
    memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n + 1)
}

/// Where the quoted scalar opening at `i` ends (past its closing quote), or the
/// end of the text when it is never closed.
fn skip_quoted(bytes: &[u8], i: usize) -> usize {
    let quote = bytes[i];
    let mut j = i + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' if quote == b'"' => j += 1,
            // `''` is a quote inside a single-quoted scalar.
            b'\'' if quote == b'\'' && bytes.get(j + 1) == Some(&b'\'') => j += 1,
            b if b == quote => return j + 1,
            _ => {}
        }
        j += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclosed_brackets_past_the_limit_are_found_where_they_go_too_deep() {
        let text = format!("openapi: 3.0.0\nx: {}\n", "[".repeat(100_000));
        assert_eq!(too_deep(&text), Some((2, 4 + MAX_FLOW_DEPTH)));
        let text = format!("a:\n  - {}", "{a: ".repeat(200));
        assert_eq!(too_deep(&text), Some((2, 5 + 4 * MAX_FLOW_DEPTH)));
    }

    #[test]
    fn brackets_that_are_text_do_not_count() {
        let many = "[".repeat(1000);
        for text in [
            format!("pattern: ^{many}$\n"),
            format!("a: \"{many}\"\nb: '{many}'''\n"),
            format!("a: b # {many}\n# {many}\n"),
            format!("description: |\n  {many}\n\n  more\nb: 1\n"),
            format!("- >-\n    {many}\n- x\n"),
            format!("a: [\"{many}\", '{many}']\n"),
            format!("a: see {many}\n"),
        ] {
            assert_eq!(too_deep(&text), None, "{text}");
        }
        let nested = format!(
            "a: {}{}\n",
            "[".repeat(MAX_FLOW_DEPTH),
            "]".repeat(MAX_FLOW_DEPTH)
        );
        assert_eq!(too_deep(&nested), None);
        // A ` - [` inside a plain scalar does not open a collection.
        let ranges = "k: Range - [0, 1)\n".repeat(MAX_FLOW_DEPTH + 10);
        assert_eq!(too_deep(&ranges), None);
        // After a block scalar, brackets count again.
        let text = format!("a: |\n  text\nb: {}", "[".repeat(MAX_FLOW_DEPTH + 1));
        assert_eq!(too_deep(&text), Some((3, 4 + MAX_FLOW_DEPTH)));
    }

    #[test]
    fn a_block_scalar_under_a_dash_holds_only_what_is_indented_past_its_key() {
        // `b` is a key beside `a`, not text of `a`'s block.
        let text = format!("- a: |\n    text\n  b: {}", "[".repeat(MAX_FLOW_DEPTH + 1));
        assert_eq!(too_deep(&text), Some((3, 6 + MAX_FLOW_DEPTH)));
        let text = format!("- a: |\n    {}\n  b: 1\n", "[".repeat(MAX_FLOW_DEPTH + 1));
        assert_eq!(too_deep(&text), None);
    }

    #[test]
    fn a_long_line_of_short_strings_is_read_in_linear_time() {
        // 200,000 quoted names on one line: each quote searched back to the
        // line's start, which took minutes. A hang guard, not a measurement.
        let mut text = String::from("---\nnames: [");
        for n in 0..200_000 {
            text.push_str(&format!("\"n{n}\", "));
        }
        text.push_str("\"end\"]\n");
        let started = std::time::Instant::now();
        assert_eq!(too_deep(&text), None);
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
    }
}
