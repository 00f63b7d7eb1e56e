//! The small Markdown of check docs (headings, paragraphs, lists, code blocks, `inline code`)
//! as blocks the page renders as text nodes: no HTML from strings, ever.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Heading(String),
    Paragraph(Vec<Inline>),
    Item(Vec<Inline>),
    Code(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Code(String),
}

pub fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph = String::new();
    let mut code: Option<String> = None;
    let flush = |paragraph: &mut String, blocks: &mut Vec<Block>| {
        if !paragraph.trim().is_empty() {
            blocks.push(Block::Paragraph(inlines(paragraph.trim())));
        }
        paragraph.clear();
    };
    for line in markdown.lines() {
        if let Some(body) = code.as_mut() {
            if line.starts_with("```") {
                blocks.push(Block::Code(std::mem::take(body)));
                code = None;
            } else {
                body.push_str(line);
                body.push('\n');
            }
        } else if line.starts_with("```") {
            flush(&mut paragraph, &mut blocks);
            code = Some(String::new());
        } else if let Some(heading) = line.strip_prefix("## ").or_else(|| line.strip_prefix("# ")) {
            flush(&mut paragraph, &mut blocks);
            blocks.push(Block::Heading(heading.trim().to_string()));
        } else if let Some(item) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
            flush(&mut paragraph, &mut blocks);
            blocks.push(Block::Item(inlines(item.trim())));
        } else if line.trim().is_empty() {
            flush(&mut paragraph, &mut blocks);
        } else {
            if !paragraph.is_empty() {
                paragraph.push(' ');
            }
            paragraph.push_str(line.trim());
        }
    }
    flush(&mut paragraph, &mut blocks);
    if let Some(body) = code {
        blocks.push(Block::Code(body));
    }
    blocks
}

fn inlines(text: &str) -> Vec<Inline> {
    text.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(index, part)| {
            if index % 2 == 1 {
                Inline::Code(part.to_string())
            } else {
                Inline::Text(part.to_string())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_shapes_check_docs_use() {
        let docs = "# id\n\nWhat it is.\n\n## Fix\nUse `mode: SIMPLE`\nnow.\n- one `a`\n\n```yaml\nx: <b>\n```\n";
        assert_eq!(
            blocks(docs),
            vec![
                Block::Heading("id".into()),
                Block::Paragraph(vec![Inline::Text("What it is.".into())]),
                Block::Heading("Fix".into()),
                Block::Paragraph(vec![
                    Inline::Text("Use ".into()),
                    Inline::Code("mode: SIMPLE".into()),
                    Inline::Text(" now.".into())
                ]),
                Block::Item(vec![Inline::Text("one ".into()), Inline::Code("a".into())]),
                Block::Code("x: <b>\n".into()),
            ]
        );
    }
}
