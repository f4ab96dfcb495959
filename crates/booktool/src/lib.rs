//! The book's own tooling, run by `.ci/book` and by `mdbook build lessons`:
//!
//! - [`code_pages`]: an mdBook preprocessor that turns each link from a
//!   lesson to the repository's code (`../crates/...`) into a link to a page
//!   of the book showing that code, so the same Markdown works on a code
//!   host and in the built book;
//! - [`books`]: the English book and its Chinese translation side by side:
//!   every page links the same page in the other language, and the
//!   translation has a "not translated yet" page for each page it lacks;
//! - [`diagram`]: sequence diagrams drawn as SVG from a Mermaid subset, so
//!   a page shows a picture, not a diagram's source text;
//! - [`links`]: a check over the built HTML that every link inside the book,
//!   and every `#fragment`, leads somewhere.
//!
//! Both read their input with small hand-written scanners ([`markdown`],
//! [`html`]): the workspace keeps to std, serde and serde_json.

pub mod books;
pub mod code_pages;
pub mod diagram;
pub mod html;
pub mod links;
pub mod markdown;
pub mod xml;
