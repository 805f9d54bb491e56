//! The layouts the quick scanner (`support::yaml::scan`) reads itself, and
//! the ones next to them it must leave to serde-saphyr: either way the
//! scenario, or the errors at their positions, must be serde-saphyr's.

use super::raw::RawScenario;
use super::tests::both;
use crate::contract::Contract;
use crate::support::yaml;

const HEAD: &str = "name: probe\nvars:\n  storeId: mem_store_01jq8m3f7c2v9w4x6y5z0a1b2k\n  profileId: mem_profile_01jq8m3f7c2v9w4x6y5z0a1b2c\n";
const POST: &str = "steps:\n  - name: add\n    request:\n      method: POST\n      path: /v1/Stores/{{storeId}}/Profiles/{{profileId}}/Identifiers\n      body:";

/// Request bodies (any YAML value) after `body:`, each a separate document.
const BODIES: &[(&str, bool)] = &[
    // (the text after `body:`, whether the scanner must read it itself)
    (" {a: 1}\n", true),
    (
        "\n        a:\n        - 1\n        - two\n        b: 3\n",
        true,
    ),
    ("\n        - a: 1\n          b: 2\n        - c: 3\n", true),
    (
        "\n        -   a: 1\n            b: 2\n        - [x]\n",
        true,
    ),
    ("\n        - \"q\": 1\n          'r': 2\n", true),
    (
        "\n        -\n          a: 1\n        - |\n          text\n        - z\n",
        true,
    ),
    ("\n        - - 1\n          - 2\n", false),
    ("\n        - a: 1\n         b: 2\n", false),
    ("\n        - a: 1\n           b: 2\n", false),
    (
        "\n        a : 1\n        \"b\" : 2\n        'c d': 3\n",
        true,
    ),
    (
        "\n        a:  spaced   \n        b: x#y\n        c: x #y\n        d: 'x' #y\n",
        true,
    ),
    ("\n        a: \"x\"#y\n", false),
    // Quoted text kept as written, with escapes, and empty; plain text with
    // `:` and `#` inside, trailing spaces, and columns after a wide character.
    (
        "\n        a: 'it''s'\n        b: ''\n        c: \"\\u00e9\\\"\"\n        d: \"\"\n        é: x:y#z  \n        f: [é, 'x', \"y\"]   # c\n",
        true,
    ),
    ("\n        a: [1, 2] #c\n        b: [1, 2]#c\n", false),
    (
        "\n        url: http://x:80/y?a=b#f\n        c: a:b\n        d: {u: http://x:80/y}\n",
        true,
    ),
    ("\n        a:b: c\n", true),
    (" {a: b:c, d: [e:f]}\n", true),
    (" {a: b: c}\n", false),
    (" [a:b]\n", true),
    (" [a: b]\n", false),
    (" [a, b, ]\n", false),
    (" [ ]\n", true),
    (" { }\n", true),
    (" [a,b]\n", true),
    (" {a: 1,b: 2}\n", true),
    (" {\"a\":1}\n", false),
    (" [[1, 2], [3], []]\n", true),
    (" {a: [1, {b: c}], d: {}}\n", true),
    (" [a b, c  d ]\n", true),
    (" [-1, -a, - a]\n", false),
    (" [-1, -a]\n", true),
    (" [?a]\n", true),
    (" [? a]\n", false),
    (" {a: -}\n", false),
    (" {a: x #y}\n", false),
    (" {a: x#y}\n", false),
    (" {a: 1,\n  b: 2}\n", false),
    (" [1,\n  2]\n", false),
    ("\n        a: b\n          c\n", false),
    ("\n        - a\n          b\n", false),
    (
        "\n        a:\n          # a comment\n          b: 1\n        # another\n        c: 2\n",
        true,
    ),
    (
        "\n        a: # after the key\n          b: 1\n        - # after a dash\n",
        false,
    ),
    ("\n        - # after a dash\n          a: 1\n", true),
    (" \"\\x41\\u00e9\\t\\\"\\\\\\/ \\n\\r\\b\\f\\0\"\n", true),
    (" \"\\e\"\n", false),
    (" \"\\N\"\n", false),
    (" \"\\uD83D\\uDE00\"\n", false),
    (" \"\\U0001F600\"\n", false),
    (" \"a\\ b\"\n", false),
    (" \"a\\\n  b\"\n", false),
    (" 'it''s ''quoted'''\n", true),
    (" ''\n", true),
    (" \"\"\n", true),
    (
        "\n        -a: 1\n        ?b: 2\n        :c: 3\n        a\"b: 4\n",
        true,
    ),
    ("\n        : 1\n", false),
    (
        "\n        ü: [a, b]\n        ünï: {c: 'ö', d: \"é\"}\n",
        true,
    ),
    ("\n        \u{1f600}x: [a, \u{1f600}, {b: c}]\n", true),
    ("\n        a:\n          b: 1\n         c: 2\n", false),
    ("\n        a:\n          b: 1\n        c: 2\n", true),
    (
        "\n        a: |\n          one\n\n          two\n\n        b: 1\n",
        true,
    ),
    (
        "\n        a: |\n\n          after a blank\n        b: 1\n",
        true,
    ),
    ("\n        a: |\n           \n          x\n", false),
    (
        "\n        a: |\n          x\n            more\n          y\n",
        true,
    ),
    (
        "\n        a: |-\n          x\n          y\n\n\n        b: 2\n",
        true,
    ),
    ("\n        a: |+\n          x\n\n        b: 2\n", false),
    (
        "\n        a: >\n          x\n          y\n        b: 2\n",
        false,
    ),
    (
        "\n        a: | # c\n          x # not a comment\n        # a comment\n        b: 2\n",
        true,
    ),
    (
        "\n        a: |\n          x\n         \n          y\n",
        true,
    ),
    (
        "\n        a: |\n          x\n            \n          y\n",
        false,
    ),
    ("\n        a: |\n        b: 2\n", false),
    ("\n        a: |2\n            x\n", false),
    ("\n        a: |\n          ---\n          ...\n", true),
    ("\n        - a: |\n            x\n          b: w\n", true),
    (
        "\n        a:\n        - |\n          x\n        - w\n        b: z\n",
        true,
    ),
    ("\n        a: &x 1\n        b: *x\n", false),
    ("\n        a: !!str 1\n", false),
    ("\n        ? a\n        : 1\n", false),
    ("\n        a:\n        b: 1\n", false),
    (
        "\n        a: ~\n        b: null\n        c: true\n        d: 1.5\n        e: -3\n",
        true,
    ),
    (
        "\n        a: \"1\"\n        b: '2'\n        c: |\n          3\n",
        true,
    ),
];

#[test]
fn layouts_read_by_the_scanner_or_left_to_serde_saphyr_give_serde_saphyrs_scenario() {
    let contract = Contract::embedded().unwrap();
    let mut problems = Vec::new();
    let mut docs: Vec<(String, Option<bool>)> = BODIES
        .iter()
        .map(|(body, quick)| (format!("{HEAD}{POST}{body}"), Some(*quick)))
        .collect();
    // Whole-file layouts: margins, markers, comments, the end of the file.
    let plain = format!("{HEAD}{POST} {{a: 1}}\n");
    for doc in [
        format!("  {plain}"),
        format!("---\n{plain}"),
        format!("--- \n{plain}"),
        format!("{plain}---\n"),
        format!("{plain}...\n"),
        format!("{plain}    expect:\n      status: 202\n---x: 1\n"),
        format!("{plain}# the end"),
        format!("{plain}\n\n   \n"),
        plain.trim_end().to_string(),
        format!("# c\n\n{plain}"),
        format!("{plain}description: |\n  no line break at the end"),
        format!("{plain}description: |\n  two\n  lines\n"),
        format!("{plain}description: |\n  trailing spaces  \n   \n"),
        format!("{plain}description: '{}'\n", "x".repeat(3000)),
        format!("{}: 1\n{plain}", "k".repeat(101)),
        plain.replace("name: probe", "name:probe"),
        plain.replace("name: probe", "name:  probe  "),
        plain.replace("name: probe", "name: probe: again"),
        plain.replace("steps:\n  - name", "steps:\n- name").replace("\n    ", "\n  "),
        format!("{HEAD}steps:\n  -   name: add\n      request: {{method: GET, path: /v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers}}\n"),
        format!("{HEAD}steps:\n  - {{name: a, request: {{method: GET, path: \"/v1/Stores/{{{{storeId}}}}/Profiles/{{{{profileId}}}}/Identifiers\"}}}}\n"),
        format!("{plain}a:\n  b:\n"),
        // What the scanner's pre-check no longer refuses: `%` and `:{` / `:[`.
        format!("{HEAD}{POST}\n        a: b:{{c}}\n        d: e:[f]\n        g: '%'\n"),
        format!("{HEAD}{POST}\n        a:{{b}}: 1\n        c:[d]: 2\n"),
        format!("{HEAD}{POST} {{a: b:{{c}}, d: e:[f]}}\n"),
        format!("{HEAD}{POST}\n        %a: 1\n"),
        format!("{HEAD}{POST}\n        a: |\n          x\n%\n"),
        format!("{HEAD}{POST}\n        a: |\n          %x\n        b: c %d\n"),
        format!("%\n{plain}"),
        format!("{plain}%\n"),
        nested(20),
        nested(40),
    ] {
        docs.push((doc, None));
    }
    // Positions serde-saphyr gives that are not where the value's first
    // character is, seen in the errors placed there; and what it refuses.
    let long = " ".repeat(1100);
    for (doc, quick) in [
        // A block scalar: at its first line of content, not at the `|`.
        (
            format!("{plain}    expect:\n      status: |-\n        2\n"),
            true,
        ),
        (
            format!("{plain}    expect:\n      status: |\n\n         2\n"),
            true,
        ),
        // A sequence at its key's indentation: after the `-` and its spaces.
        (
            format!("{plain}    expect:\n      status:\n      - 2\n"),
            true,
        ),
        (
            format!("{plain}    expect:\n      status:\n      -   2\n"),
            true,
        ),
        (
            format!("{plain}    expect:\n      status:\n      - |-\n        2\n"),
            true,
        ),
        (
            format!("{plain}    expect:\n      status:\n        - 2\n"),
            true,
        ),
        // A key whose `:` is more than 1,024 characters from its start.
        (format!("{plain}a{long}: 1\n"), false),
        (format!("{HEAD}{POST} {{a{long}: 1}}\n"), false),
        (format!("{HEAD}{POST}\n      - a{long}: 1\n"), false),
        (
            format!("{HEAD}{POST} [{}]\n", "a,".repeat(100_000) + "a"),
            true,
        ),
    ] {
        docs.push((doc, Some(quick)));
    }
    let mut quick_count = 0;
    for (doc, want_quick) in &docs {
        let (quick, slow) = both(&contract, "l.yaml", doc);
        if quick != slow {
            problems.push(format!("differs:\n{doc}\nquick: {quick}\nslow:  {slow}"));
        }
        let alone = yaml::quick_alone::<RawScenario>(doc);
        quick_count += usize::from(alone);
        if let Some(want) = want_quick {
            if alone != *want {
                problems.push(format!(
                    "read by the scanner: {alone}, expected {want}:\n{doc}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert!(
        quick_count > docs.len() / 3,
        "{quick_count} of {}",
        docs.len()
    );
}

/// A body nested `depth` mappings deep.
fn nested(depth: usize) -> String {
    let mut body = String::new();
    for i in 0..depth {
        body.push_str(&format!("\n{}k{i}:", "  ".repeat(i + 4)));
    }
    format!("{HEAD}{POST}{body} leaf\n")
}
