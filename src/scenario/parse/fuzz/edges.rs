//! Hand-written documents for each rule of the scanner.

/// Hand-written documents for each rule of the scanner, read as any YAML.
pub(super) fn edge_cases() -> Vec<String> {
    let mut v: Vec<String> = [
        "a: nULL\nb: NuLL\nc: nulL\nd: None\ne: none\nf: Nil\ng: ~~\nh: null!\n",
        "a: t\nb: f\nc: T\nd: F\ne: Y\nf: N\ng: yES\nh: oFF\n",
        "a: 0x\nb: 0o\nc: 0b\nd: +\ne: .\nf: -.\ng: +.\nh: .e1\ni: 1e\nj: 1e+\nk: 0e0\n",
        "a: 1__0\nb: 1.2.3\nc: 0x1p3\nd: 1,000\ne: 12e\nf: 0_1\ng: -0x1\nh: ０\n",
        "a: -0\nb: 0.0\nc: -0.0\nd: 0.30000000000000004\ne: 123456789012345678901234567890.5\nf: 9007199254740993\n",
        "a: 18446744073709551615\nb: 18446744073709551616\nc: -9223372036854775808\nd: -9223372036854775809\n",
        "a: 2024-01-01\nb: 2024-01-01T10:00:00Z\nc: 12:30:00\nd: 1:2\ne: 190:20:30\n",
        "a: x\u{85}y\nb: \u{85}x\nc: x\u{2028}\nd: \u{2029}\n\u{85}: 1\n",
        "a: [a\u{85}b, \u{2028}]\nb: {\u{85}: 1}\n",
        "a: |\n  x\u{85}\n  \u{2028}y\n",
        "a: x # \u{85}\n# \u{2028}\nb: 1\n",
        "a: \"\\x80\\xff\\u0000\\u0085\\uFEFF\\u2028\\x0a\"\n",
        "a: \"\u{85}\"\nb: '\u{2028}'\n",
        "\"\": 1\n'': 2\n",
        "\"a\\nb\": 1\n",
        "a: 1\n\"a\": 2\n",
        "a: 1\n'a': 2\n",
        "\"<<\": 1\n",
        "'<<': {a: 1}\n",
        "-: 1\n",
        "?: 1\n",
        ":: 1\n",
        "a:: 1\n",
        "a: :b\nb: ?c\nc: -d\nd: b!\ne: b&c\nf: b*\ng: x:\u{85}\n",
        "a:\n- x\n-b: 1\n",
        "a:\n- x\n# c\n- y\nb: 1\n",
        "a:\n  - x\n  # c\n  - y\nb: 1\n",
        "- a\n",
        "a:\n- a:\n  - b\n  c: d\n",
        "a:\n- a:\n    - b\n  c: d\n",
        "a:\n  - a:\n    - b\n    -   c\n    d: e\n",
        "a:\n  - a: # x\n    - b\n",
        "a:\n  - a:\n    -\n      b: c\n",
        "a:\n  - a:\n    -  # é😀\n      b: c\n",
        "a:\n- |\n  x\n- y\nb: |-\n  z\n",
        "a:\n  - |\n    x\n  -   |-\n     y\n",
        "a:\n  - b: |\n      x\n    c: 1\n",
        "a:\n- b: |\n    x\n  c: 1\n",
        "a: |-\n\n  x\n\n",
        "a: |\n  x\n\n\n",
        "a: |\n  x\n  \n",
        "a: |\n  x  \n  y \n",
        "a: |\n  # x\n  ---\n  ...\n",
        "a: |\n   x\n  # c\nb: 1\n",
        "a: |\n   x\n # c\n   \nb: 1\n",
        "a: |\n \n  x\n",
        "a: |\n  \n  x\n",
        "a: |-  # c\n  x\n",
        "a: |\n  x\n b: 1\n",
        "a: [a ,b]\nb: {a: b , c: d}\nc: { a : b }\nd: [ a , b ]\ne: [{}]\nf: [[]]\ng: {a: {}}\n",
        "a: {\"a\" : 1}\nb: {'a': 1}\nc: ['a''b']\nd: [\"a\"]\n",
        "a: [a:]\n",
        "a: {a:b: c}\n",
        "a: [http://x]\n",
        "a: [a?b, a-b, --, ---, ...]\n",
        "a: [?]\n",
        "a: [a b, a  b  ]\n",
        "a: {\"a\\nb\": 1}\n",
        "a: {\"\": 1}\n",
        "a: [:a]\nb: [:]\nc: {:a: b}\n",
        "a: [a:b:c]\nb: {a: b:c}\n",
        "a: [ ]\nb: { }\nc: []\nd: {}\n",
        "a: [x]\n",
        "a: [x]",
        "a: x",
        "a: 'x'",
        "a: |\n  x",
        "a: x\n# c",
        "a: x\n  # c\nb: y\n",
        "a: x\n       # c\nb: y\n",
        "a:    x\n",
        "a:\n    b: 1\n    c: 2\n",
        "😀: [x]\né: {b: c}\n",
        "a: 😀😀\nb: x😀: y\n",
        "\"😀\": 1\n'é': [\"😀\", '😀']\n",
        "- x\n",
        "a: b\n---\n",
        "a: b\n--- x\n",
        "a: b\n----\n",
        "a: b\n...\n",
        "a: - b\n",
        "a: -\n",
        "a: b #c: d\n",
        "a: x:y:z\nb: x#y #z\nc: x   \nd: x   # c\ne: x :y\nf: x:\n",
        "a: 'x'''\nb: '''x'\nc: ''''\nd: ''\ne: \"\\\"x\"\nf: \"x\\\"\"\ng: \"\"\nh: \"a\\tb\\\\\"\n",
        "abcdefghijklmnopqrstuvwxyzabcdefghijklmnop: 1\nb: é\nc: [x, é, y]\né: 'é' # é\nd: x\n",
        "a: 'x' # c\nb: \"x\" # c\nc: [x] # c\nd: {x: y} # c\n",
        "a: b\n\n\nc: d\n",
        "a: x\u{a0}\nb: \u{a0}\n",
        "a:\u{a0}b\n",
        "a: b\u{3000}\n",
        "a:\n  b: 1\n  c:\n  - x\n  d: 2\n",
        "a:\n  b:\n  - x\n  - y\nc: 1\n",
        "a: {b: [c, {d: [e]}]}\n",
        "- a: b\n",
        "a: b\n  c: d\n",
        "a: \"x\"\n  b: c\n",
        "a: [x]\n  b: c\n",
        "a:\n  - x\n   - y\n",
        "a:\n  - x\n - y\n",
        "a:\n - x\n  b: y\n",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let long = " ".repeat(1100);
    v.push(format!("a{long}: b\n"));
    v.push(format!("\"a\"{long}: b\n"));
    v.push(format!("x: {{a{long}: b}}\n"));
    v.push(format!("x: {{\"a\"{long}: b}}\n"));
    v.push(format!("x:\n- a{long}: b\n"));
    v.push(format!("x:\n  - a{long}: b\n"));
    v.push(format!("x: [a{long}, b]\n"));
    v.push(format!("x: {{a: b{long}}}\n"));
    v.push(format!("{}: 1\n", "é".repeat(100)));
    v.push(format!("{}: 1\n", "é".repeat(101)));
    v.push(format!("{}: 1\n", "k".repeat(100)));
    v.push(format!("a{}: 1\n", " ".repeat(1000)));
    v.push(format!("a{}: 1\n", " ".repeat(1022)));
    v.push(format!("a{}: 1\n", " ".repeat(1023)));
    v.push(format!("a{}: 1\n", " ".repeat(1024)));
    v.push(format!("x: {{a{}: 1}}\n", " ".repeat(1022)));
    v.push(format!("x: {{a{}: 1}}\n", " ".repeat(1024)));
    v.push(format!("\"{}\": 1\n", "\\u00e9".repeat(100)));
    v.push(format!("\"{}\": 1\n", "\\x41".repeat(100)));
    v.push(format!("x: [{}]\n", "a,".repeat(100_000) + "a"));
    v.push(format!("x: [{}]\n", "😀,".repeat(100_000) + "a"));
    v.push(format!(
        "x:{}\n",
        (0..30)
            .map(|i| format!("\n{}k:", " ".repeat(i + 1)))
            .collect::<String>()
            + " v"
    ));
    v.push(format!("x: {}{}\n", "[".repeat(40), "]".repeat(40)));
    v.push(format!(
        "x: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    ));
    v.push(format!("x: {}a{}\n", "{a: ".repeat(40), "}".repeat(40)));
    v.push(
        "a: b\n".to_string()
            + &(0..200_000)
                .map(|i| format!("k{i}: v\n"))
                .collect::<String>(),
    );
    v
}
