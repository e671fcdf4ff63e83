//! Sources turned into passages ("chunks") that keep their headings.
//!
//! Each kind is first read into sections — a heading path and the plain text under it —
//! then long sections are cut at paragraph and sentence ends. The text is what a caller
//! hears, so markup is dropped: emphasis, links (their text stays), table bars.

use crate::source::{SourceError, SourceKind, decode};
use serde::{Deserialize, Serialize};

/// The longest passage, in characters: about 20 seconds of speech.
pub const MAX_CHUNK_CHARS: usize = 600;

/// The deepest HTML nesting accepted (real pages stay under a hundred).
pub const MAX_HTML_DEPTH: usize = 512;

/// The longest first line of a text file that is taken as its title.
const MAX_TITLE_CHARS: usize = 120;

/// The most passages one source may give.
pub const MAX_CHUNKS_PER_SOURCE: usize = 5_000;

/// One passage of a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// The source's name, e.g. `delivery.md`.
    pub source: String,
    /// The heading path, e.g. `Доставка / По России`; empty for text before any heading.
    pub heading: String,
    /// The passage as it is spoken.
    pub text: String,
    /// Its place in the source, from 0.
    pub position: u32,
}

impl Chunk {
    /// The text the index sees: the heading path, then the passage, so a question that
    /// names the topic finds a passage that does not repeat it.
    pub fn indexed_text(&self) -> String {
        if self.heading.is_empty() {
            self.text.clone()
        } else {
            format!("{}. {}", self.heading, self.text)
        }
    }
}

/// A heading path and the paragraphs under it.
#[derive(Debug, Default)]
struct Section {
    heading: Vec<String>,
    paragraphs: Vec<String>,
}

/// Reads a source into passages.
pub fn chunk(name: &str, bytes: &[u8]) -> Result<Vec<Chunk>, SourceError> {
    let (kind, text) = decode(name, bytes)?;
    let sections = match kind {
        SourceKind::Markdown => markdown(text),
        SourceKind::Text => plain(text),
        SourceKind::Html => {
            // The HTML parser's work grows with the square of the nesting: refuse a page
            // nested deeper than any real one before parsing it.
            if nesting(text) > MAX_HTML_DEPTH {
                return Err(SourceError::TooDeep(name.to_owned()));
            }
            html(text)
        }
        SourceKind::Csv => csv(name, text)?,
    };
    let mut chunks = Vec::new();
    for section in sections {
        let heading = section.heading.join(" / ");
        for text in pack(&section.paragraphs) {
            if chunks.len() == MAX_CHUNKS_PER_SOURCE {
                return Err(SourceError::TooManyPassages(name.to_owned()));
            }
            chunks.push(Chunk {
                source: name.to_owned(),
                heading: heading.clone(),
                text,
                position: chunks.len() as u32,
            });
        }
    }
    if chunks.is_empty() {
        return Err(SourceError::Empty(name.to_owned()));
    }
    Ok(chunks)
}

/// Collapses runs of whitespace into one space and trims.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Packs paragraphs into passages of at most [`MAX_CHUNK_CHARS`]; a longer paragraph is
/// cut at sentence ends (or, failing that, at a word).
fn pack(paragraphs: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let len = |s: &str| s.chars().count();
    for paragraph in paragraphs
        .iter()
        .map(|p| squash(p))
        .filter(|p| !p.is_empty())
    {
        for piece in split_long(&paragraph) {
            if !current.is_empty() && len(&current) + 1 + len(&piece) > MAX_CHUNK_CHARS {
                out.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(&piece);
        }
        // A paragraph ends a passage when the next would not fit anyway; short
        // paragraphs of one section stay together.
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Cuts one paragraph into pieces of at most [`MAX_CHUNK_CHARS`].
fn split_long(paragraph: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest = paragraph;
    while rest.chars().count() > MAX_CHUNK_CHARS {
        let limit = rest
            .char_indices()
            .nth(MAX_CHUNK_CHARS)
            .map_or(rest.len(), |(i, _)| i);
        let window = &rest[..limit];
        let cut = window
            .rfind(['.', '!', '?', ';'])
            .filter(|&i| i > limit / 3)
            .map(|i| i + 1)
            .or_else(|| window.rfind(' ').filter(|&i| i > 0))
            .unwrap_or(limit);
        pieces.push(rest[..cut].trim().to_owned());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        pieces.push(rest.to_owned());
    }
    pieces
}

/// Adds a section unless it has nothing under its heading.
fn push(sections: &mut Vec<Section>, heading: &Headings, paragraphs: &mut Vec<String>) {
    paragraphs.retain(|p| !p.trim().is_empty());
    if !paragraphs.is_empty() {
        sections.push(Section {
            heading: heading.path(),
            paragraphs: std::mem::take(paragraphs),
        });
    }
}

/// The headings above the current point, with their levels.
#[derive(Debug, Default)]
struct Headings(Vec<(usize, String)>);

impl Headings {
    /// A heading of `level` (1 for the top) replaces those at its level and below.
    /// A skipped level (`#` then `###`) leaves no gap in the path.
    fn enter(&mut self, level: usize, title: String) {
        while self.0.last().is_some_and(|(l, _)| *l >= level) {
            self.0.pop();
        }
        if !title.is_empty() {
            self.0.push((level, title));
        }
    }

    fn path(&self) -> Vec<String> {
        self.0.iter().map(|(_, t)| t.clone()).collect()
    }
}

fn markdown(text: &str) -> Vec<Section> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut sections = Vec::new();
    let mut heading = Headings::default();
    let mut paragraphs: Vec<String> = Vec::new();
    let mut buf = String::new();
    let mut cells: Vec<String> = Vec::new();
    for event in Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                flush(&mut buf, &mut paragraphs);
                push(&mut sections, &heading, &mut paragraphs);
            }
            Event::End(TagEnd::Heading(level)) => {
                heading.enter(level as usize, squash(&buf));
                buf.clear();
            }
            // A nested list starts inside its parent item's text.
            Event::Start(Tag::Item | Tag::List(_)) => flush(&mut buf, &mut paragraphs),
            Event::End(TagEnd::TableCell) => cells.push(squash(&std::mem::take(&mut buf))),
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                let row: Vec<_> = cells.drain(..).filter(|c| !c.is_empty()).collect();
                if !row.is_empty() {
                    paragraphs.push(format!("{}.", row.join(", ")));
                }
            }
            Event::End(
                TagEnd::Paragraph | TagEnd::Item | TagEnd::CodeBlock | TagEnd::BlockQuote(_),
            ) => flush(&mut buf, &mut paragraphs),
            Event::Text(t) | Event::Code(t) => buf.push_str(&t),
            Event::SoftBreak | Event::HardBreak => buf.push(' '),
            _ => {}
        }
    }
    flush(&mut buf, &mut paragraphs);
    push(&mut sections, &heading, &mut paragraphs);
    sections
}

/// Ends a paragraph: list items and lines without a full stop get one, so a passage
/// read aloud pauses between them.
fn flush(buf: &mut String, paragraphs: &mut Vec<String>) {
    let text = squash(buf);
    buf.clear();
    if text.is_empty() {
        return;
    }
    let ends = text.ends_with(['.', '!', '?', ':', ';', '…']);
    paragraphs.push(if ends { text } else { format!("{text}.") });
}

fn plain(text: &str) -> Vec<Section> {
    let mut lines = text.lines().peekable();
    // The first line is a title only if it reads like one; a long one is text.
    while lines.peek().is_some_and(|l| l.trim().is_empty()) {
        lines.next();
    }
    let title = lines
        .next_if(|l| l.chars().count() <= MAX_TITLE_CHARS)
        .map(squash);
    let mut heading = Headings::default();
    heading.enter(1, title.clone().unwrap_or_default());
    let rest: Vec<&str> = lines.collect();
    let mut paragraphs = Vec::new();
    let mut sections = Vec::new();
    for block in rest.split(|l| l.trim().is_empty()) {
        let mut buf = block.join(" ");
        flush(&mut buf, &mut paragraphs);
        // One section per paragraph: each answers one thing.
        push(&mut sections, &heading, &mut paragraphs);
    }
    if sections.is_empty() {
        // A one-line file: the title is the text.
        sections.extend(title.map(|t| Section {
            heading: Vec::new(),
            paragraphs: vec![t],
        }));
    }
    sections
}

fn html(text: &str) -> Vec<Section> {
    use ego_tree::iter::Edge;
    use scraper::{Html, Node};
    let document = Html::parse_document(text);
    let mut sections = Vec::new();
    let mut heading = Headings::default();
    let mut paragraphs = Vec::new();
    let mut buf = String::new();
    // A walk without recursion: a hostile page nests tens of thousands of elements.
    let mut skipping: Option<ego_tree::NodeId> = None;
    for edge in document.tree.root().traverse() {
        match edge {
            Edge::Open(node) if skipping.is_none() => match node.value() {
                Node::Text(t) => buf.push_str(t),
                Node::Element(e) => {
                    let name = e.name();
                    if matches!(name, "script" | "style" | "head" | "template" | "noscript") {
                        skipping = Some(node.id());
                    } else if let Some(level) = heading_level(name) {
                        flush(&mut buf, &mut paragraphs);
                        push(&mut sections, &heading, &mut paragraphs);
                        let title: String = node
                            .descendants()
                            .filter_map(|d| d.value().as_text().map(|t| t.to_string()))
                            .collect();
                        heading.enter(level, squash(&title));
                        skipping = Some(node.id());
                    } else if is_block(name) {
                        flush(&mut buf, &mut paragraphs);
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if skipping == Some(node.id()) {
                    skipping = None;
                    continue;
                }
                if skipping.is_some() {
                    continue;
                }
                if let Node::Element(e) = node.value() {
                    if is_block(e.name()) {
                        // A row's last cell leaves its separator behind.
                        buf = buf.trim_end().trim_end_matches(',').to_owned();
                        flush(&mut buf, &mut paragraphs);
                    } else if matches!(e.name(), "td" | "th") {
                        buf.push_str(", ");
                    }
                }
            }
            Edge::Open(_) => {}
        }
    }
    flush(&mut buf, &mut paragraphs);
    push(&mut sections, &heading, &mut paragraphs);
    sections
}

/// The deepest nesting of elements in `text`, estimated from its tags without parsing:
/// elements that never or often do not close (`br`, `img`, `p`, `li`, …) do not count.
fn nesting(text: &str) -> usize {
    const UNCOUNTED: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "p", "li", "td", "th", "tr", "dt", "dd", "option", "!", "?",
    ];
    let (mut depth, mut deepest) = (0usize, 0usize);
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices('<') {
        let rest = &bytes[i + 1..];
        let closing = rest.first() == Some(&b'/');
        let name: String = rest[usize::from(closing)..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'!' || **b == b'?')
            .take(10)
            .map(|b| b.to_ascii_lowercase() as char)
            .collect();
        if name.is_empty()
            || UNCOUNTED
                .iter()
                .any(|u| name == *u || name.starts_with('!'))
        {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            let end = rest.iter().position(|b| *b == b'>').unwrap_or(rest.len());
            if !rest[..end].ends_with(b"/") {
                depth += 1;
                deepest = deepest.max(depth);
            }
        }
    }
    deepest
}

fn heading_level(name: &str) -> Option<usize> {
    name.strip_prefix('h')
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| (1..=6).contains(l))
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "li"
            | "tr"
            | "div"
            | "br"
            | "section"
            | "article"
            | "ul"
            | "ol"
            | "table"
            | "blockquote"
            | "pre"
            | "dd"
            | "dt"
    )
}

fn csv(name: &str, text: &str) -> Result<Vec<Section>, SourceError> {
    let bad = |reason: String| SourceError::BadCsv {
        name: name.to_owned(),
        reason,
    };
    // Excel in Russian locales writes ';'.
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| bad(format!("the header row: {e}")))?
        .iter()
        .map(squash)
        .collect();
    let mut sections = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| bad(format!("line {}: {e}", i + 2)))?;
        let cells: Vec<String> = row.iter().map(squash).collect();
        let Some(first) = cells.first().filter(|c| !c.is_empty()) else {
            continue;
        };
        let mut text = format!("{first}.");
        for (header, cell) in headers.iter().zip(&cells).skip(1) {
            if !cell.is_empty() {
                text.push_str(&format!(" {header}: {cell}."));
            }
        }
        sections.push(Section {
            heading: vec![first.clone()],
            paragraphs: vec![text],
        });
    }
    Ok(sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headings(chunks: &[Chunk]) -> Vec<&str> {
        chunks.iter().map(|c| c.heading.as_str()).collect()
    }

    #[test]
    fn markdown_keeps_the_heading_path_and_drops_markup() {
        let md = "# Доставка\n\nВезём по всей России.\n\n## По Москве\n\n\
                  Курьер привозит **на следующий день**, [подробнее](https://x.ru).\n\n\
                  - бесплатно от 50 000 рублей\n- иначе 500 рублей\n\n\
                  ### Срочная\n\nЗа 3 часа.\n\n## По России\n\n| Город | Срок |\n|---|---|\n| Казань | 3 дня |\n";
        let chunks = chunk("delivery.md", md.as_bytes()).unwrap();
        assert_eq!(
            headings(&chunks),
            [
                "Доставка",
                "Доставка / По Москве",
                "Доставка / По Москве / Срочная",
                "Доставка / По России"
            ]
        );
        assert_eq!(
            chunks[1].text,
            "Курьер привозит на следующий день, подробнее. бесплатно от 50 000 рублей. иначе 500 рублей."
        );
        assert_eq!(chunks[3].text, "Город, Срок. Казань, 3 дня.");
        assert_eq!(
            chunks[3].indexed_text(),
            "Доставка / По России. Город, Срок. Казань, 3 дня."
        );
        assert!(
            chunks
                .iter()
                .enumerate()
                .all(|(i, c)| c.position == i as u32)
        );
    }

    #[test]
    fn a_skipped_heading_level_leaves_no_gap() {
        let md = "# А\n\n### Б\n\nтекст\n\n## В\n\nещё\n";
        let chunks = chunk("a.md", md.as_bytes()).unwrap();
        assert_eq!(headings(&chunks), ["А / Б", "А / В"]);
    }

    #[test]
    fn long_sections_are_cut_at_sentences() {
        let sentence = "Это предложение о доставке грузов по всей стране. ";
        let md = format!("# Длинно\n\n{}", sentence.repeat(40));
        let chunks = chunk("long.md", md.as_bytes()).unwrap();
        assert!(chunks.len() >= 3, "{}", chunks.len());
        for c in &chunks {
            assert!(
                c.text.chars().count() <= MAX_CHUNK_CHARS,
                "{}",
                c.text.len()
            );
            assert!(c.text.ends_with('.'), "{}", c.text);
            assert_eq!(c.heading, "Длинно");
        }
        // A word longer than a passage is still cut, never lost.
        let word = "а".repeat(MAX_CHUNK_CHARS * 2 + 5);
        let chunks = chunk("w.txt", format!("Т\n\n{word}").as_bytes()).unwrap();
        let total: usize = chunks.iter().map(|c| c.text.chars().count()).sum();
        assert_eq!(total, word.chars().count() + 1, "the full stop is added");
    }

    #[test]
    fn text_has_a_title_and_a_passage_per_paragraph() {
        let txt = "Частые вопросы\n\nРаботает без интернета.\nДо суток.\n\n\nСколько пользователей? Без ограничений.\n";
        let chunks = chunk("faq.txt", txt.as_bytes()).unwrap();
        assert_eq!(headings(&chunks), ["Частые вопросы", "Частые вопросы"]);
        assert_eq!(chunks[0].text, "Работает без интернета. До суток.");
        assert_eq!(
            chunk("one.txt", "Только заголовок".as_bytes()).unwrap()[0].text,
            "Только заголовок"
        );
    }

    #[test]
    fn html_sections_with_entities_and_no_scripts() {
        let html = "<html><head><title>x</title><style>p{}</style></head><body>\
            <h1>Курсы &laquo;Склад&raquo;</h1><p>Вводный&nbsp;курс.</p>\
            <h2>Цены</h2><ul><li>Базовый 5000 рублей</li><li>Продвинутый</li></ul>\
            <script>alert(1)</script><table><tr><td>Очно</td><td>Москва</td></tr></table></body></html>";
        let chunks = chunk("training.html", html.as_bytes()).unwrap();
        assert_eq!(headings(&chunks), ["Курсы «Склад»", "Курсы «Склад» / Цены"]);
        assert_eq!(chunks[0].text, "Вводный\u{a0}курс.".replace('\u{a0}', " "));
        assert_eq!(
            chunks[1].text,
            "Базовый 5000 рублей. Продвинутый. Очно, Москва."
        );
        assert!(!chunks.iter().any(|c| c.text.contains("alert")));
    }

    #[test]
    fn csv_gives_a_passage_per_row_named_by_its_first_cell() {
        let csv = "Товар,Цена,Срок\n\"Сканер, беспроводной\",12900,3 дня\nПринтер,,\n,1,2\n";
        let chunks = chunk("prices.csv", csv.as_bytes()).unwrap();
        assert_eq!(headings(&chunks), ["Сканер, беспроводной", "Принтер"]);
        assert_eq!(
            chunks[0].text,
            "Сканер, беспроводной. Цена: 12900. Срок: 3 дня."
        );
        let semicolons = "Товар;Цена\nТерминал;45900\n";
        assert_eq!(
            chunk("p.csv", semicolons.as_bytes()).unwrap()[0].text,
            "Терминал. Цена: 45900."
        );
    }

    #[test]
    fn deep_html_nesting_is_refused_before_parsing() {
        let page =
            |depth: usize| format!("{}глубоко{}", "<div>".repeat(depth), "</div>".repeat(depth));
        let chunks = chunk("deep.html", page(MAX_HTML_DEPTH).as_bytes()).unwrap();
        assert_eq!(chunks[0].text, "глубоко.");
        let refused = chunk("deep.html", page(100_000).as_bytes()).unwrap_err();
        assert_eq!(refused.code(), "html_too_deep");
        // Unclosed paragraphs and list items, line breaks and comments do not count.
        let sloppy = format!(
            "<h1>Т</h1>{}",
            "<p>абзац<li>пункт<br><!-- x --><img src=a>".repeat(2_000)
        );
        assert!(chunk("sloppy.html", sloppy.as_bytes()).is_ok());
    }

    #[test]
    fn nested_lists_keep_their_words_apart() {
        let md = "# Д\n\n- Доставка\n  - бесплатно\n";
        assert_eq!(
            chunk("l.md", md.as_bytes()).unwrap()[0].text,
            "Доставка. бесплатно."
        );
    }

    #[test]
    fn a_long_first_line_is_text_not_a_title() {
        let line = "Это длинная первая строка без заголовка, она сама по себе ответ. ".repeat(3);
        let chunks = chunk("t.txt", format!("{line}\n\nВторой абзац.").as_bytes()).unwrap();
        assert_eq!(headings(&chunks), ["", ""]);
    }

    #[test]
    fn empty_sources_are_refused() {
        for (name, body) in [
            ("e.md", "# Только заголовок\n"),
            ("e.html", "<p> </p>"),
            ("e.csv", "a,b\n"),
        ] {
            assert_eq!(
                chunk(name, body.as_bytes()).unwrap_err().code(),
                "empty_source",
                "{name}"
            );
        }
    }
}
