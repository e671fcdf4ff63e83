//! Canned knowledge for a scripted dialog.

use serde::Deserialize;
use sva_abi::{Hit, HitSource, RetrieveRequest};
use sva_turn::{Knowledge, KnowledgeError, Retrieved};

/// A passage returned for any query containing `when`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snippet {
    /// A fragment the query must contain (compared lowercased, `ё` as `е`).
    pub when: String,
    /// The passage.
    pub text: String,
    /// The source document name.
    #[serde(default = "default_document")]
    pub document: String,
    /// The heading inside the document.
    #[serde(default)]
    pub heading: String,
}

fn default_document() -> String {
    "script.md".to_owned()
}

/// The snippets of one script, answering its retrieve requests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SnippetKnowledge(pub Vec<Snippet>);

#[async_trait::async_trait]
impl Knowledge for SnippetKnowledge {
    async fn retrieve(
        &self,
        _tenant: &str,
        request: &RetrieveRequest,
    ) -> Result<Retrieved, KnowledgeError> {
        let query = crate::fold(&request.query);
        let hits: Vec<Hit> = self
            .0
            .iter()
            .filter(|s| query.contains(&crate::fold(&s.when)))
            .map(|s| Hit {
                text: s.text.clone(),
                score: 1.0,
                source: HitSource {
                    document: s.document.clone(),
                    heading: s.heading.clone(),
                },
            })
            .collect();
        Ok(hits.into())
    }
}
