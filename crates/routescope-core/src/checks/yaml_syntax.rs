//! `yaml-syntax`: a document that is not valid YAML, or input over a limit.

use super::{Check, Run};

pub static CHECK: Check = Check {
    id: "yaml-syntax",
    summary: "A document is not valid YAML (or the input is over a size, depth or alias limit).",
    istio_code: None,
    docs: r#"
## What it does
Reports a document that the YAML parser cannot read, with the parser's message at the exact
line and column, and input refused by a limit (size, nesting depth, alias expansion, number of
documents). Each `---` document is read on its own: one broken document does not hide the
diagnostics of the others.

## Why is this bad?
`kubectl apply` rejects the whole file, and nothing in the broken document reaches the mesh.

## Fix
Correct the YAML at the position shown: usually an unclosed bracket or quote, a tab used for
indentation, or a key indented differently from its siblings.

## Fix safety
No automatic fix: only the author knows what was meant.
"#,
    bad_example: "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts: [reviews\n",
    good_example: "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts: [reviews]\n",
    run: Run::AtLoad,
};

#[cfg(test)]
mod tests {
    use crate::checks::fixture::check;

    #[test]
    fn reports_the_parser_position_and_keeps_other_documents() {
        check(
            "yaml-syntax",
            "kind: Gateway\n---\na: b: c\n#   ^ error: invalid YAML: mapping values are not allowed\n---\nc: [1, 2]]\n#        ^ error: invalid YAML\nd: 1\n",
        );
    }

    #[test]
    fn valid_yaml_is_not_flagged() {
        check("yaml-syntax", "a: 1\n---\nb: [1, 2]\n...\n");
    }
}
